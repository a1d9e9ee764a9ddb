package dev.switchboard.server.store;

/** The store failed (I/O, SQL, closed); nothing of the failed operation was committed. */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
