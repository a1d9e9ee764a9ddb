package dev.switchboard.server.webhook;

import dev.switchboard.server.registry.ClosedBy;
import dev.switchboard.server.store.StoredMessage;

/**
 * What this node tells the application's backend (R8's optional webhooks): a connection opened, a
 * connection ended, a chat message was stored.
 *
 * <p>Contract: the methods are called on event loops and on the store's writer thread, so they return
 * at once, never block and never throw. Delivery is the implementation's own business and best effort:
 * under overload or at shutdown an event may be dropped, and is then counted
 * ({@code switchboard_webhook_events_total{result="dropped"}}). A backend that must not miss a message
 * reads the history API; the webhook is a notification, the store is the record.
 */
public interface Webhooks extends AutoCloseable {
    /** No webhooks configured: every event is ignored. */
    Webhooks NONE = new Webhooks() {
        @Override
        public void connected(String connectionId, String userId, String deviceId) {
        }

        @Override
        public void disconnected(String connectionId, String userId, String deviceId, int closeCode, ClosedBy closedBy) {
        }

        @Override
        public void messageStored(StoredMessage message, byte[] encoded) {
        }

        @Override
        public void close() {
        }
    };

    /** A WebSocket connection was registered and welcomed. */
    void connected(String connectionId, String userId, String deviceId);

    /**
     * A connection that {@link #connected} announced has ended. {@code closeCode} is its first close
     * frame's status (1005 for a client's frame without one, 1006 when there was no close frame).
     */
    void disconnected(String connectionId, String userId, String deviceId, int closeCode, ClosedBy closedBy);

    /**
     * A chat message, a client's send or the server API's, was stored: once per message, not again for
     * a resend the store recognised as a duplicate.
     *
     * @param encoded {@code message} as {@link dev.switchboard.server.chat.OutboundMessages#messagePayload}
     *                encodes it (what the recipients got), or null to have it encoded when sent
     */
    void messageStored(StoredMessage message, byte[] encoded);

    /** Sends what is queued, within the configured time, then stops; events after this are dropped. */
    @Override
    void close();
}
