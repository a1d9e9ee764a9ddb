package dev.switchboard.client;

import dev.switchboard.protocol.ErrorCode;

/**
 * A failed request or connection. Exactly one of three things describes it: a server
 * {@link #code() error code} (the request was refused, the connection stays up), a
 * {@link #closeCode() close code} (the connection was closed, e.g. 4003 kicked), or an
 * {@link #httpStatus() HTTP status} (the WebSocket handshake was refused, e.g. 401). Transport failures
 * and local refusals (client closed, not connected, too many pending sends) have none of them.
 */
public class SwitchboardException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorCode code;
    private final int closeCode;
    private final int httpStatus;

    /** A local or transport failure without error code, close code or HTTP status. */
    public SwitchboardException(String message) {
        this(message, null, -1, 0, null);
    }

    /** A transport failure caused by {@code cause}. */
    public SwitchboardException(String message, Throwable cause) {
        this(message, null, -1, 0, cause);
    }

    /** An {@code error} reply from the server. */
    public SwitchboardException(ErrorCode code, String message) {
        this(message, code, -1, 0, null);
    }

    /**
     * @param message    human-readable description
     * @param code       the server's error code, or null
     * @param closeCode  the WebSocket close code, or -1
     * @param httpStatus the handshake's HTTP status, or 0
     * @param cause      the underlying exception, or null
     */
    public SwitchboardException(String message, ErrorCode code, int closeCode, int httpStatus, Throwable cause) {
        super(message, cause);
        this.code = code;
        this.closeCode = closeCode;
        this.httpStatus = httpStatus;
    }

    static SwitchboardException closed(int closeCode, String reason) {
        return new SwitchboardException("connection closed with " + closeCode + ": " + reason,
                null, closeCode, 0, null);
    }

    static SwitchboardException handshakeRefused(int httpStatus, String message) {
        return new SwitchboardException(message, null, -1, httpStatus, null);
    }

    /** The server's error code, or null when the failure was not an {@code error} reply. */
    public ErrorCode code() {
        return code;
    }

    /** The WebSocket close code that ended the connection, or -1 when not caused by a close. */
    public int closeCode() {
        return closeCode;
    }

    /** The HTTP status of a refused WebSocket handshake (401, 403, 503 …), or 0. */
    public int httpStatus() {
        return httpStatus;
    }
}
