package dev.switchboard.server.webhook;

import dev.switchboard.server.chat.OutboundMessages;
import dev.switchboard.server.registry.ClosedBy;
import dev.switchboard.server.registry.JsonObjectWriter;
import dev.switchboard.server.store.StoredMessage;

/**
 * One event waiting to be sent. Kept as the few values it needs, not as JSON: a message event is
 * encoded on the webhook thread, not on the store's writer thread that reports it.
 */
sealed interface WebhookEvent {
    /** When it happened, ms since the epoch. */
    long timestampMillis();

    /** The event's {@code type}. */
    String type();

    /** Writes the fields that follow {@code id}, {@code type} and {@code ts}. */
    void writeFields(JsonObjectWriter json);

    /** A rough size in bytes, to presize the request body. */
    int sizeHint();

    record Connected(long timestampMillis, String connectionId, String userId, String deviceId)
            implements WebhookEvent {
        @Override
        public String type() {
            return "connect";
        }

        @Override
        public void writeFields(JsonObjectWriter json) {
            json.string("connectionId", connectionId).string("userId", userId).string("deviceId", deviceId);
        }

        @Override
        public int sizeHint() {
            return 160;
        }
    }

    record Disconnected(long timestampMillis, String connectionId, String userId, String deviceId,
                        int closeCode, ClosedBy closedBy) implements WebhookEvent {
        @Override
        public String type() {
            return "disconnect";
        }

        @Override
        public void writeFields(JsonObjectWriter json) {
            json.string("connectionId", connectionId).string("userId", userId).string("deviceId", deviceId)
                    .number("code", closeCode).string("closedBy", closedBy.wireName());
        }

        @Override
        public int sizeHint() {
            return 200;
        }
    }

    /**
     * The event's {@code message} is the object clients receive in {@code message.message} and the history
     * API returns: {@code encoded}, the bytes the recipients got, or else {@code message} encoded here.
     */
    record MessageStored(long timestampMillis, StoredMessage message, byte[] encoded) implements WebhookEvent {
        @Override
        public String type() {
            return "message";
        }

        @Override
        public void writeFields(JsonObjectWriter json) {
            json.rawValue("message", encoded != null ? encoded : OutboundMessages.messagePayload(message));
        }

        @Override
        public int sizeHint() {
            return 100 + (encoded != null ? encoded.length : 160 + message.bodyJson().length());
        }
    }
}
