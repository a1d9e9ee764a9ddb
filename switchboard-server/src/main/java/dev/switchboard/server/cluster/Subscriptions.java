package dev.switchboard.server.cluster;

import java.util.concurrent.CompletableFuture;

/**
 * The node's Redis pub/sub subscriptions: {@link ClassicSubscriptions} on one Redis (or Sentinel's
 * master), {@link ShardedSubscriptions} on a Redis Cluster. Delivery is at most once in both: a
 * channel whose subscription is lost misses what is published until {@link Listener#subscribed}
 * reports it back. The node's own channel then catches up from the store ({@link RedisBroker}); a
 * topic's live subscribers do not (topic delivery is at most once).
 */
interface Subscriptions extends AutoCloseable {
    /** What arrives on the subscriptions; called on Redis's I/O threads (or the subscriptions' own), so it must not block. */
    interface Listener {
        void message(String channel, byte[] message);

        /** Redis confirmed a subscription to {@code channel}: the first one, or one made again after it was lost. */
        default void subscribed(String channel) {
        }

        /** The subscription to {@code channel} is gone (its connection dropped); another follows by itself. */
        default void lost(String channel) {
        }

        /**
         * A Redis Cluster's masters changed (a failover): what the old master had not replicated is gone,
         * though no subscription of this node may have been lost.
         */
        default void mastersChanged() {
        }
    }

    void addListener(Listener listener);

    /**
     * Subscribes, and keeps the subscription through reconnections; completes once Redis has confirmed
     * it, or fails if Redis has not within a few seconds (the subscription goes on trying).
     */
    CompletableFuture<Void> subscribe(String channel);

    void unsubscribe(String channel);

    /**
     * False while a subscription Redis had confirmed is lost and not made again yet (part of the node's
     * readiness); a subscription waiting for its first confirmation does not count.
     */
    boolean isUp();

    @Override
    void close();
}
