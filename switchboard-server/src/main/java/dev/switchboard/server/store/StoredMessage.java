package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;

/**
 * One chat message as stored: shared by every inbox entry that references it.
 *
 * @param id           server message id, unique and increasing in storage order
 * @param bodyJson     the body as a serialized JSON value
 * @param createdAt    storage time, ms since the epoch
 * @param fileJson     the file the message carries, as the JSON object {@code {id, name, size, contentType}}
 *                     (docs/PROTOCOL.md section 11), or null
 */
public record StoredMessage(
        long id,
        String senderId,
        String senderDevice,
        TargetKind targetKind,
        String targetId,
        String clientId,
        String bodyJson,
        long createdAt,
        String fileJson) {

    /** A message without a file. */
    public StoredMessage(long id, String senderId, String senderDevice, TargetKind targetKind, String targetId,
                         String clientId, String bodyJson, long createdAt) {
        this(id, senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt, null);
    }
}
