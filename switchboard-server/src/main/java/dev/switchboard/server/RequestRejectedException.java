package dev.switchboard.server;

import dev.switchboard.protocol.ErrorCode;

/**
 * A client request that cannot be carried out for a reason the client must be told about
 * ({@code error} reply with {@link #code()}). Never a server fault; nothing was changed.
 */
public final class RequestRejectedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public RequestRejectedException(ErrorCode code, String message) {
        super(message, null, false, false);
        this.code = code;
    }

    public ErrorCode code() {
        return code;
    }
}
