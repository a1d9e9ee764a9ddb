package dev.switchboard.server.cluster;

import java.util.concurrent.CompletionStage;
import java.util.function.Consumer;

/**
 * Node-to-node delivery. At most once: an envelope may be lost (a node restarting, Redis
 * failing over); durability is the store's job, and the per-recipient seq makes every loss visible
 * and recoverable from the store.
 */
public interface Broker extends AutoCloseable {

    /**
     * Starts receiving envelopes addressed to {@code nodeId}; {@code handler} runs on broker threads
     * and must not block.
     */
    void start(String nodeId, Consumer<Envelope> handler);

    /** Sends to {@code nodeId}; completes when handed to the transport (not when delivered). */
    CompletionStage<Void> publish(String nodeId, Envelope envelope);

    /** True while this node's subscription is active, i.e. it would receive what others publish. */
    boolean isSubscribed();

    /** Called (on broker threads) each time the subscription is re-established after a loss. */
    default void onResubscribed(Runnable action) {
    }

    @Override
    void close();
}
