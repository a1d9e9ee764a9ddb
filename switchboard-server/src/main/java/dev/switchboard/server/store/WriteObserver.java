package dev.switchboard.server.store;

/**
 * Told about every batch the writer drains and every write a transaction commits, for the store metrics.
 * Called on the writer thread; must be cheap. An exception from it is logged and changes nothing else.
 */
public interface WriteObserver {
    /** Ignores everything. */
    WriteObserver NONE = new WriteObserver() {
        @Override
        public void batchFinished(long queuedNanos, long nanos, boolean committed) {
        }

        @Override
        public void writeCommitted(long nanos) {
        }
    };

    /**
     * @param queuedNanos how long the batch's oldest write waited in the writer's queue before the batch began
     * @param nanos     time from the batch's start to its commit (or failure)
     * @param committed false when the batch failed as a whole (its writes are then retried one by one or failed)
     */
    void batchFinished(long queuedNanos, long nanos, boolean committed);

    /**
     * One write that a transaction committed, told once the transaction's writes are answered; a write
     * its task rejected is not told.
     *
     * @param nanos time from the write's submission to the commit: its wait in the writer's queue and its
     *              batch's transaction (after any failed attempt of a batch it was in). The store's part of
     *              what a message's sender waits for; the batch figures count a slow commit once however
     *              many writes it held.
     */
    void writeCommitted(long nanos);
}
