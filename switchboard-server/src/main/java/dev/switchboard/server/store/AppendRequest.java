package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;

/** A chat message to make durable; see {@link MessageStore#append}. */
public record AppendRequest(
        String senderId,
        String senderDevice,
        TargetKind targetKind,
        String targetId,
        String clientId,
        String bodyJson,
        long createdAt) {

    /** This message as stored under {@code id}. */
    StoredMessage storedAs(long id) {
        return new StoredMessage(id, senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt);
    }
}
