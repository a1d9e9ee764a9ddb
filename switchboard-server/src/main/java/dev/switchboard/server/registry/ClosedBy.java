package dev.switchboard.server.registry;

import java.util.Locale;

/** Who ended a WebSocket connection: who sent its first close frame, or neither. */
public enum ClosedBy {
    /** The server sent the first close frame (a kick, a limit, a restart, a heartbeat timeout, …). */
    SERVER,
    /** The client sent the first close frame. */
    CLIENT,
    /** No close frame: the TCP connection was lost or reset. */
    NETWORK;

    /** The name in webhook events and logs: {@code server}, {@code client}, {@code network}. */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
