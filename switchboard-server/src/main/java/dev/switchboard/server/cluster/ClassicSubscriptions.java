package dev.switchboard.server.cluster;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link Subscriptions} on one pub/sub connection to one Redis ({@code SUBSCRIBE}). Lettuce reconnects
 * it and subscribes again by itself, to whichever Redis its URI names then (Sentinel's master).
 */
final class ClassicSubscriptions implements Subscriptions {
    private final StatefulRedisPubSubConnection<String, byte[]> connection;
    private final Set<String> channels = ConcurrentHashMap.newKeySet();

    ClassicSubscriptions(StatefulRedisPubSubConnection<String, byte[]> connection) {
        this.connection = connection;
    }

    @Override
    public void addListener(Listener listener) {
        connection.addListener(new RedisPubSubAdapter<>() {
            @Override
            public void message(String channel, byte[] message) {
                listener.message(channel, message);
            }

            @Override
            public void subscribed(String channel, long count) {
                listener.subscribed(channel);
            }
        });
        connection.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                channels.forEach(listener::lost);
            }

            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress address) {
                // Lettuce subscribes again by itself; subscribed() confirms each channel.
            }
        });
    }

    @Override
    public CompletableFuture<Void> subscribe(String channel) {
        channels.add(channel);
        return connection.async().subscribe(channel).toCompletableFuture();
    }

    @Override
    public void unsubscribe(String channel) {
        channels.remove(channel);
        connection.async().unsubscribe(channel);
    }

    @Override
    public boolean isUp() {
        return connection.isOpen();
    }

    @Override
    public void close() {
        connection.close();
    }
}
