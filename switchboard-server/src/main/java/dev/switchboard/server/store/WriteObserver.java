package dev.switchboard.server.store;

/** Told about every write batch, for the store metrics. Called on the writer thread; must be cheap. */
@FunctionalInterface
public interface WriteObserver {

    /**
     * @param queuedNanos how long the batch's oldest write waited in the writer's queue before the batch began
     * @param nanos     time from the batch's start to its commit (or failure)
     * @param committed false when the batch failed as a whole (its writes are then retried one by one or failed)
     */
    void batchFinished(long queuedNanos, long nanos, boolean committed);
}
