package dev.switchboard.protocol;

/**
 * WebSocket close codes used by Switchboard (docs/PROTOCOL.md section 7). Codes 4000–4999 are
 * application codes; a client stops reconnecting only on {@link #isTerminal(int) terminal} ones.
 */
public final class CloseCodes {
    public static final int NORMAL = 1000;
    public static final int GOING_AWAY = 1001;
    /** A frame that breaks RFC 6455 (reserved bits or opcodes, an unmasked or badly sized frame, a bad close code). */
    public static final int PROTOCOL_ERROR = 1002;
    /** Never sent: stands for a close frame that carried no status code (RFC 6455 §7.1.5). */
    public static final int NO_STATUS = 1005;
    /** Never sent: stands for a connection that ended without a close frame (RFC 6455 §7.1.5). */
    public static final int ABNORMAL = 1006;
    public static final int INVALID_PAYLOAD = 1007;
    public static final int MESSAGE_TOO_BIG = 1009;
    public static final int INTERNAL_ERROR = 1011;
    public static final int SERVICE_RESTART = 1012;

    /** Too many invalid requests on one connection. */
    public static final int PROTOCOL_ABUSE = 4000;
    /** The token's {@code exp} passed; get a new token and reconnect. */
    public static final int TOKEN_EXPIRED = 4001;
    /** Nothing was received from the client within the ping timeout. */
    public static final int HEARTBEAT_TIMEOUT = 4002;
    /** Kicked, e.g. replaced by a newer connection of the same device. Terminal. */
    public static final int KICKED = 4003;
    /** Banned through the server API; a new connection is refused with HTTP 403 while the ban lasts. Terminal. */
    public static final int BANNED = 4004;
    /** The outbound queue exceeded its bound. */
    public static final int SLOW_CONSUMER = 4008;
    /** Too many sends over the rate limit. */
    public static final int RATE_LIMIT_ABUSE = 4029;

    private CloseCodes() {
    }

    /** True for close codes after which a client must not reconnect on its own. */
    public static boolean isTerminal(int code) {
        return code == KICKED || code == BANNED;
    }
}
