package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * A chat message to make durable; see {@link MessageStore#append}.
 *
 * @param fileJson the file the message carries ({@link StoredMessage#fileJson()}), or null
 */
public record AppendRequest(
        String senderId,
        String senderDevice,
        TargetKind targetKind,
        String targetId,
        String clientId,
        String bodyJson,
        long createdAt,
        String fileJson) {

    /** A message without a file. */
    public AppendRequest(String senderId, String senderDevice, TargetKind targetKind, String targetId, String clientId,
                         String bodyJson, long createdAt) {
        this(senderId, senderDevice, targetKind, targetId, clientId, bodyJson, createdAt, null);
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
