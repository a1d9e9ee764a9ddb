package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;

/**
 * One chat message as stored: shared by every inbox entry that references it.
 *
 * @param id           server message id, unique and increasing in storage order
 * @param bodyJson     the body as a serialized JSON value
 * @param createdAt    storage time, ms since the epoch
 */
public record StoredMessage(
        long id,
        String senderId,
        String senderDevice,
        TargetKind targetKind,
        String targetId,
        String clientId,
        String bodyJson,
        long createdAt) {
}
