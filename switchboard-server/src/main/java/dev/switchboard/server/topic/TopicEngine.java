package dev.switchboard.server.topic;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Where topic streams live and how publications reach every node with subscribers: in memory for a
 * single node ({@link MemoryTopicEngine}), in Redis for a cluster
 * ({@link dev.switchboard.server.cluster.RedisTopicEngine}). The {@link TopicHub} above it is the
 * same in both modes.
 *
 * <p>Contract: per topic, publications reach the handler in offset order, each at most once per
 * node that {@link #subscribe subscribed}. Delivery between nodes is at most once; the offsets make
 * any loss visible to clients, and the history lets them recover it.
 */
public interface TopicEngine extends AutoCloseable {

    /** Starts handing this node's subscribed publications to {@code handler} (any thread; must not block). */
    void start(Consumer<Publication> handler);

    /**
     * Publishes on {@code topic}, keeping the newest {@code historySize} publications for recovery.
     * A repeated non-null {@code idempotencyKey} (within the history TTL) publishes nothing and
     * completes with the first publication's position.
     */
    CompletableFuture<PublishResult> publish(String topic, String from, String dataJson, int historySize, String idempotencyKey);

    /** This node wants {@code topic}'s publications; completes once every later publication will arrive. */
    CompletableFuture<Void> subscribe(String topic);

    /** This node no longer wants {@code topic}'s publications. */
    void unsubscribe(String topic);

    /** The topic's newest position (creating its epoch if the topic is new) and retained publications. */
    CompletableFuture<TopicHistory> history(String topic, boolean withPublications);

    /**
     * Keeps the streams of {@code topics} (those this node has subscribers for) from expiring while
     * they are quiet: called periodically, well within the history TTL.
     */
    default void keepAlive(java.util.Collection<String> topics) {
    }

    @Override
    void close();
}
