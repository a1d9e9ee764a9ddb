package dev.switchboard.server.auth;

/** A WebSocket upgrade request refused before the upgrade, with the HTTP status to answer. */
public final class HandshakeRejectedException extends Exception {
    private static final long serialVersionUID = 1L;
    private final int status;
    private final String error;

    /**
     * @param status HTTP status (400, 401, 403, 503)
     * @param error  short machine-readable word for the JSON body ({@code unauthorized})
     * @param reason human-readable detail, safe to show to the client
     */
    public HandshakeRejectedException(int status, String error, String reason) {
        super(reason, null, false, false);
        this.status = status;
        this.error = error;
    }

    public int status() {
        return status;
    }

    public String error() {
        return error;
    }
}
