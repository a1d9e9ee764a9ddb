package dev.switchboard.server.store;

/** The store's bounded write queue is full; nothing was written. Callers answer {@code store_busy}. */
public final class StoreBusyException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreBusyException(String message) {
        super(message, null, false, false);
    }
}
