package dev.switchboard.server.topic;

import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.EncodedTextFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.FastThreadLocal;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * This node's topic subscribers, and the fan-out of every publication to them.
 *
 * @implNote Two levels, so that neither subscribing nor publishing takes a lock shared by all
 * connections. Node level: topic → the event loops that have subscribers, kept under the map's
 * per-bin lock (changes only when a loop gains its first or loses its last subscriber of a topic).
 * Loop level: each event loop owns topic → its subscriptions, touched only on that loop. A publication
 * costs one task per event loop with subscribers — not one per subscriber — and in that task the
 * same frame bytes are written to every subscriber of the loop: the JSON is encoded once per node, the
 * WebSocket frame once per loop ({@link EncodedTextFrame}).
 */
public final class TopicHub {
    private final TopicEngine engine;
    private final ServerMetrics metrics;
    private final ConcurrentHashMap<String, LocalTopic> topics = new ConcurrentHashMap<>();
    private final AtomicInteger subscriptions = new AtomicInteger();
    private final FastThreadLocal<Map<String, Set<TopicSubscription>>> loopSubscriptions = new FastThreadLocal<>() {
        @Override
        protected Map<String, Set<TopicSubscription>> initialValue() {
            return new HashMap<>();
        }
    };

    public TopicHub(TopicEngine engine, ServerMetrics metrics) {
        this.engine = engine;
        this.metrics = metrics;
    }

    private static final class LocalTopic {
        final Map<EventLoop, Integer> loops = new HashMap<>();
        volatile EventLoop[] loopArray = new EventLoop[0];
        CompletableFuture<Void> subscribed;
    }

    /** Starts receiving publications from the engine. */
    public void start() {
        engine.start(this::onPublication);
    }

    /**
     * Adds {@code subscription} (on its connection's event loop). Completes once this node receives
     * every later publication of the topic; live publications are held by the subscription until
     * {@link TopicSubscription#goLive}.
     */
    public CompletableFuture<Void> add(TopicSubscription subscription) {
        EventLoop loop = subscription.connection().eventLoop();
        loopSubscriptions.get().computeIfAbsent(subscription.topic(), topic -> new LinkedHashSet<>()).add(subscription);
        subscriptions.incrementAndGet();
        LocalTopic local = topics.compute(subscription.topic(), (topic, existing) -> {
            LocalTopic updated = existing != null ? existing : new LocalTopic();
            if (updated.subscribed == null || updated.subscribed.isCompletedExceptionally()) {
                updated.subscribed = engine.subscribe(topic);
            }
            if (updated.loops.merge(loop, 1, Integer::sum) == 1) {
                updated.loopArray = updated.loops.keySet().toArray(EventLoop[]::new);
            }
            return updated;
        });
        return local.subscribed;
    }

    /** Removes {@code subscription} (on its connection's event loop); idempotent. */
    public void remove(TopicSubscription subscription) {
        if (subscription.isCancelled()) {
            return;
        }
        subscription.cancel();
        Set<TopicSubscription> onLoop = loopSubscriptions.get().get(subscription.topic());
        if (onLoop == null || !onLoop.remove(subscription)) {
            return;
        }
        if (onLoop.isEmpty()) {
            loopSubscriptions.get().remove(subscription.topic());
        }
        subscriptions.decrementAndGet();
        EventLoop loop = subscription.connection().eventLoop();
        topics.computeIfPresent(subscription.topic(), (topic, local) -> {
            Integer remaining = local.loops.merge(loop, -1, Integer::sum);
            if (remaining != null && remaining <= 0) {
                local.loops.remove(loop);
                local.loopArray = local.loops.keySet().toArray(EventLoop[]::new);
            }
            if (local.loops.isEmpty()) {
                engine.unsubscribe(topic);
                return null;
            }
            return local;
        });
    }

    /** A publication for this node: one task per event loop with subscribers. */
    void onPublication(Publication publication) {
        LocalTopic local = topics.get(publication.topic());
        if (local == null) {
            return;
        }
        for (EventLoop loop : local.loopArray) {
            loop.execute(() -> deliverOnLoop(publication));
        }
    }

    private void deliverOnLoop(Publication publication) {
        Set<TopicSubscription> onLoop = loopSubscriptions.get().get(publication.topic());
        if (onLoop == null) {
            return;
        }
        int written = 0;
        ByteBuf encodedFrame = EncodedTextFrame.encode(ByteBufAllocator.DEFAULT, publication.frame());
        try {
            for (TopicSubscription subscription : onLoop) {
                if (subscription.deliver(publication, encodedFrame)) {
                    written++;
                }
            }
        } finally {
            encodedFrame.release(); // each write holds its own duplicate
        }
        metrics.messagesOut(ServerMetrics.Kind.TOPIC, written);
    }

    /** True while a connection on this node is subscribed to {@code topic}. */
    public boolean hasSubscribers(String topic) {
        return topics.containsKey(topic);
    }

    /** The topics this node has subscribers for (a snapshot). */
    public java.util.List<String> topics() {
        return java.util.List.copyOf(topics.keySet());
    }

    /** Subscriptions on this node, all topics. */
    public int subscriptionCount() {
        return subscriptions.get();
    }

    public TopicEngine engine() {
        return engine;
    }
}
