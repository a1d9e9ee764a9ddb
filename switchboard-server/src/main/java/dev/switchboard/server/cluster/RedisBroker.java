package dev.switchboard.server.cluster;

import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Broker} on Redis pub/sub: every node subscribes to one channel of its own
 * ({@link RedisKeys#nodeChannel}; a shard channel on a Redis Cluster), and a sender publishes one
 * envelope per target node. Pub/sub is
 * at most once — a node that is disconnected misses what was published meanwhile — which is why
 * {@link #onResubscribed} lets the node re-read its connections' inboxes from the store after every
 * reconnection.
 */
public final class RedisBroker implements Broker {
    private static final Logger log = LoggerFactory.getLogger(RedisBroker.class);

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final List<Runnable> resubscribedActions = new CopyOnWriteArrayList<>();
    private volatile boolean subscribed;
    private volatile boolean everSubscribed;
    private String channel;

    RedisBroker(RedisConnections redis, RedisKeys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public void start(String nodeId, Consumer<Envelope> handler) {
        channel = keys.nodeChannel(nodeId);
        redis.subscriptions().addListener(new Subscriptions.Listener() {
            @Override
            public void message(String from, byte[] message) {
                if (!channel.equals(from)) {
                    return;
                }
                Envelope envelope;
                try {
                    envelope = EnvelopeCodec.decode(message);
                } catch (IllegalArgumentException e) {
                    log.atWarn().setMessage("dropping malformed envelope").addKeyValue("channel", from)
                            .addKeyValue("error", e.getMessage()).log();
                    return;
                }
                handler.accept(envelope);
            }

            @Override
            public void subscribed(String subscribedChannel) {
                if (channel.equals(subscribedChannel)) {
                    onSubscribed();
                }
            }

            @Override
            public void lost(String lostChannel) {
                if (channel.equals(lostChannel)) {
                    subscribed = false;
                    log.warn("redis pub/sub subscription lost; this node is not ready until it is back");
                }
            }

            @Override
            public void mastersChanged() {
                if (subscribed) { // else the subscription's return catches up anyway
                    log.info("redis cluster failed over; re-announcing routes and catching up every local connection");
                    resubscribedActions.forEach(Runnable::run);
                }
            }
        });
        RedisConnections.await(redis.subscriptions().subscribe(channel), "the node's channel");
    }

    private void onSubscribed() {
        subscribed = true;
        if (everSubscribed) {
            log.info("redis pub/sub subscription restored; catching up every local connection from the store");
            resubscribedActions.forEach(Runnable::run);
        }
        everSubscribed = true;
    }

    @Override
    public CompletionStage<Void> publish(String nodeId, Envelope envelope) {
        return redis.publish(keys.nodeChannel(nodeId), EnvelopeCodec.encode(envelope)).thenApply(receivers -> null);
    }

    @Override
    public boolean isSubscribed() {
        return subscribed && redis.subscriptions().isUp();
    }

    @Override
    public void onResubscribed(Runnable action) {
        resubscribedActions.add(action);
    }

    @Override
    public void close() {
        subscribed = false;
    }
}
