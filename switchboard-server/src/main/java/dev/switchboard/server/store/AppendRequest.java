package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A chat message to make durable; see {@link MessageStore#append}.
 *
 * @param fileId   the sender's complete upload the message carries (docs/PROTOCOL.md section 11), or null
 * @param fileJson that file's description ({@link StoredMessage#fileJson()}): null when the request is made,
 *                 filled in by the store's writer, which reads the file in the message's transaction
 */
public record AppendRequest(
        String senderId,
        String senderDevice,
        TargetKind targetKind,
        String targetId,
        String clientId,
        String bodyJson,
        long createdAt,
        String fileId,
        String fileJson) {

    /** A message without a file. */
    public AppendRequest(String senderId, String senderDevice, TargetKind targetKind, String targetId, String clientId,
                         String bodyJson, long createdAt) {
        this(senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt, null, null);
    }

    /** A message that carries the sender's upload {@code fileId}. */
    public static AppendRequest withFile(String senderId, String senderDevice, TargetKind targetKind, String targetId,
                                         String clientId, String bodyJson, long createdAt, String fileId) {
        return new AppendRequest(senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt, fileId, null);
    }

    /** This request with its file's description, as read by the writer. */
    AppendRequest describingFile(String description) {
        return new AppendRequest(senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt, fileId,
                description);
    }

    /** The start of an insert into {@code messages}: the columns {@link #bindMessageRow} sets, in its order. */
    static final String INSERT_MESSAGES =
            "INSERT INTO messages (sender_id, sender_device, target_kind, target_id, client_id, body, created_at, file_json) VALUES ";

    /** The key of a (sender, client id) pair in maps of sent messages: a message's identity for resends. */
    static String sentKey(String senderId, String clientId) {
        return senderId + '\u0000' + clientId;
    }

    /**
     * Sets this message's eight columns of {@code messages} (sender, device, target kind, target, client
     * id, body, created at, file) from parameter {@code first} on; returns the next parameter index.
     */
    int bindMessageRow(PreparedStatement statement, int first) throws SQLException {
        int parameter = first;
        statement.setString(parameter++, senderId);
        statement.setString(parameter++, senderDevice);
        statement.setString(parameter++, targetKind.wireName());
        statement.setString(parameter++, targetId);
        statement.setString(parameter++, clientId);
        statement.setString(parameter++, bodyJson);
        statement.setLong(parameter++, createdAt);
        statement.setString(parameter++, fileJson); // setString(null) binds SQL NULL in all three drivers
        return parameter;
    }

    /** This message as stored under {@code id}. */
    StoredMessage storedAs(long id) {
        return new StoredMessage(id, senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt, fileJson);
    }
}
