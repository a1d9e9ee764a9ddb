package dev.switchboard.client;

/**
 * Life cycle of a {@link SwitchboardClient}. A client moves
 * {@code IDLE → CONNECTING → CONNECTED ⇄ RECONNECTING} and ends in {@code CLOSED}, which is final:
 * a closed client never connects again; create a new one instead.
 */
public enum ConnectionState {
    /** Created, {@link SwitchboardClient#connect()} not called yet. Sends are queued. */
    IDLE,
    /** The first connection attempt is under way (TCP, WebSocket handshake, waiting for {@code welcome}). */
    CONNECTING,
    /** A {@code welcome} arrived on the live connection: requests are accepted, sends go out at once. */
    CONNECTED,
    /** The connection was lost; the client waits out its backoff or is connecting again. Sends are queued. */
    RECONNECTING,
    /** Closed by the application, kicked (close code 4003), banned (4004) or refused authentication. Final. */
    CLOSED
}
