package dev.switchboard.server.store;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.RequestRejectedException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@link FileStore} on SQL: a row of {@code files} per upload and a row of {@code file_chunks} per chunk,
 * in the same database as the messages, so every node of a cluster reads what any node stored.
 *
 * @implNote Chunks go through the store's single writer like every write: a chunk is durable in the
 * group commit it shares with messages, and the upload's offset is checked and advanced in the same
 * transaction as the chunk's insert. The offset is advanced with a compare-and-set
 * ({@code WHERE received = ?}), so two nodes storing the same chunk at once (a client that resent it
 * after a reconnect) cannot both succeed: the second finds the offset moved and is refused, or conflicts
 * on the chunk's key and is retried by the writer, which then refuses it the same way. Chunks are kept
 * as the client sent them (at most {@code chunkBytes} each) and read back one at a time: a download
 * never holds more than a chunk of a file in memory.
 */
public final class JdbcFileStore implements FileStore {
    private static final String FILE_COLUMNS =
            "id, owner_id, name, content_type, size, received, created_at, completed_at";
    private static final String SELECT_FILE = "SELECT " + FILE_COLUMNS + " FROM files WHERE id = ?";
    private static final String COUNT_OPEN = "SELECT COUNT(*) FROM files WHERE owner_id = ? AND completed_at = 0";
    private static final String SELECT_BY_CLIENT_ID = "SELECT " + FILE_COLUMNS + " FROM files WHERE owner_id = ? AND client_id = ?";
    private static final String INSERT_FILE = "INSERT INTO files (" + FILE_COLUMNS + ", client_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
    private static final String ADVANCE =
            "UPDATE files SET received = ?, completed_at = ? WHERE id = ? AND received = ?";
    private static final String INSERT_CHUNK = "INSERT INTO file_chunks (file_id, chunk_offset, data) VALUES (?, ?, ?)";
    private static final String SELECT_SHARE =
            "SELECT 1 FROM file_shares WHERE file_id = ? AND target_kind = ? AND target_id = ?";
    private static final String INSERT_SHARE = "INSERT INTO file_shares (file_id, target_kind, target_id) VALUES (?, ?, ?)";
    /** Shared with the user, or with a group the user is a member of now. */
    private static final String SELECT_GRANT = "SELECT 1 FROM file_shares WHERE file_id = ? AND target_kind = 'user' "
            + "AND target_id = ? UNION ALL SELECT 1 FROM file_shares s JOIN group_member m ON m.group_id = s.target_id "
            + "WHERE s.file_id = ? AND s.target_kind = 'group' AND m.user_id = ?";
    private static final String SELECT_CHUNK = "SELECT chunk_offset, data FROM file_chunks WHERE file_id = ? "
            + "AND chunk_offset <= ? ORDER BY chunk_offset DESC LIMIT 1";
    /** Both kinds of expired files, oldest first, a bounded number per transaction. */
    private static final String SELECT_EXPIRED = "SELECT id FROM files WHERE (completed_at = 0 AND created_at < ?) "
            + "OR (completed_at > 0 AND completed_at < ?) ORDER BY created_at LIMIT " + JdbcFileStore.PURGE_BATCH;
    private static final String DELETE_CHUNKS = "DELETE FROM file_chunks WHERE file_id = ?";
    private static final String DELETE_SHARES = "DELETE FROM file_shares WHERE file_id = ?";
    private static final String DELETE_FILE = "DELETE FROM files WHERE id = ?";
    /** Files deleted per transaction: a 16 MiB file is 260 chunk rows, so a batch can be tens of MB of pages. */
    static final int PURGE_BATCH = 20;

    private final JdbcDatabase database;

    public JdbcFileStore(JdbcDatabase database) {
        this.database = database;
    }

    @Override
    public CompletableFuture<StoredFile> create(StoredFile file, String clientId, int maxOpenUploads) {
        return database.writer().submit(context -> {
            if (clientId != null) { // another node inserting the same key at once conflicts, and the retry finds it here
                PreparedStatement select = context.statement(SELECT_BY_CLIENT_ID);
                select.setString(1, file.ownerId());
                select.setString(2, clientId);
                StoredFile earlier = file(select);
                if (earlier != null) {
                    return earlier;
                }
            }
            // In run, not prepare: it then counts the uploads an earlier task of the same batch started.
            PreparedStatement count = context.statement(COUNT_OPEN);
            count.setString(1, file.ownerId());
            try (ResultSet row = count.executeQuery()) {
                if (row.next() && row.getLong(1) >= maxOpenUploads) {
                    throw new RequestRejectedException(ErrorCode.UPLOAD_LIMIT, "at most " + maxOpenUploads
                            + " uploads may be incomplete at once; finish one or wait for it to expire");
                }
            }
            PreparedStatement insert = context.statement(INSERT_FILE);
            insert.setString(1, file.id());
            insert.setString(2, file.ownerId());
            insert.setString(3, file.name());
            insert.setString(4, file.contentType());
            insert.setLong(5, file.size());
            insert.setLong(6, file.received());
            insert.setLong(7, file.createdAt());
            insert.setLong(8, file.completedAt());
            insert.setString(9, clientId);
            insert.executeUpdate();
            return file;
        });
    }

    @Override
    public CompletableFuture<Void> cancel(String fileId, String ownerId) {
        return database.writer().submit(context -> {
            StoredFile file = ownedFile(context.statement(SELECT_FILE), fileId, ownerId);
            if (file.isComplete()) {
                throw new RequestRejectedException(ErrorCode.INVALID_FIELD,
                        "the upload is complete: a complete file is kept, since messages may carry it");
            }
            delete(context, fileId);
            return null;
        });
    }

    /** Deletes a file: its row first (see {@link #purge}), then its chunks and grants. */
    private static void delete(WriteContext context, String fileId) throws SQLException {
        for (String delete : List.of(DELETE_FILE, DELETE_CHUNKS, DELETE_SHARES)) {
            PreparedStatement statement = context.statement(delete);
            statement.setString(1, fileId);
            statement.executeUpdate();
        }
    }

    @Override
    public CompletableFuture<StoredFile> status(String fileId, String ownerId) {
        return database.read(context -> ownedFile(context.statement(SELECT_FILE), fileId, ownerId));
    }

    @Override
    public CompletableFuture<StoredFile> appendChunk(String fileId, String ownerId, long offset, byte[] data) {
        return database.writer().submit(context -> {
            StoredFile file = ownedFile(context.statement(SELECT_FILE), fileId, ownerId);
            if (offset != file.received()) {
                throw offsetRefused(file);
            }
            if (data.length == 0 || data.length > file.size() - offset) {
                throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "a chunk of " + data.length
                        + " bytes at offset " + offset + " does not fit a file of " + file.size() + " bytes");
            }
            StoredFile stored = file.withChunk(data.length, System.currentTimeMillis());
            PreparedStatement advance = context.statement(ADVANCE);
            advance.setLong(1, stored.received());
            advance.setLong(2, stored.completedAt());
            advance.setString(3, fileId);
            advance.setLong(4, offset);
            if (advance.executeUpdate() != 1) { // another node stored a chunk since the select
                throw offsetRefused(file);
            }
            PreparedStatement insert = context.statement(INSERT_CHUNK);
            insert.setString(1, fileId);
            insert.setLong(2, offset);
            insert.setBytes(3, data);
            insert.executeUpdate();
            return stored;
        });
    }

    private static RequestRejectedException offsetRefused(StoredFile file) {
        return new RequestRejectedException(ErrorCode.UPLOAD_OFFSET, file.isComplete()
                ? "the upload is complete (" + file.size() + " bytes)"
                : "the upload's next chunk is at offset " + file.received());
    }

    /**
     * The file a message of {@code senderId} is to carry, read in the message's transaction: the sender's
     * upload ({@code file_not_found} otherwise), complete ({@code file_incomplete} otherwise).
     */
    static StoredFile sendableFile(WriteContext context, String fileId, String senderId) throws SQLException {
        StoredFile file = ownedFile(context.statement(SELECT_FILE), fileId, senderId);
        if (!file.isComplete()) {
            throw new RequestRejectedException(ErrorCode.FILE_INCOMPLETE, "the upload has " + file.received()
                    + " of its " + file.size() + " bytes; send the file once it is complete");
        }
        return file;
    }

    /**
     * Lets the recipients of a message download its file: the user {@code targetId}, or the members of the
     * group {@code targetId} at the time of each download. A grant that exists is left as it is; one that
     * another node inserts at the same time conflicts on the key, and the writer's retry finds it.
     */
    static void grant(WriteContext context, String fileId, TargetKind targetKind, String targetId) throws SQLException {
        if (!exists(context.statement(SELECT_SHARE), fileId, targetKind.wireName(), targetId)) {
            PreparedStatement insert = context.statement(INSERT_SHARE);
            insert.setString(1, fileId);
            insert.setString(2, targetKind.wireName());
            insert.setString(3, targetId);
            insert.executeUpdate();
        }
    }

    @Override
    public CompletableFuture<StoredFile> readable(String fileId, String userId) {
        return database.read(context -> {
            StoredFile file = file(context.statement(SELECT_FILE), fileId);
            if (file == null || !file.isComplete()) {
                return null;
            }
            if (file.ownerId().equals(userId)) {
                return file;
            }
            PreparedStatement grant = context.statement(SELECT_GRANT);
            grant.setString(1, fileId);
            grant.setString(2, userId);
            grant.setString(3, fileId);
            grant.setString(4, userId);
            try (ResultSet row = grant.executeQuery()) {
                return row.next() ? file : null;
            }
        });
    }

    @Override
    public CompletableFuture<byte[]> read(String fileId, long offset) {
        return database.read(context -> {
            PreparedStatement select = context.statement(SELECT_CHUNK);
            select.setString(1, fileId);
            select.setLong(2, offset);
            try (ResultSet row = select.executeQuery()) {
                if (!row.next()) {
                    return new byte[0];
                }
                long chunkOffset = row.getLong(1);
                byte[] data = row.getBytes(2);
                long skip = offset - chunkOffset;
                return skip >= data.length ? new byte[0] : Arrays.copyOfRange(data, (int) skip, data.length);
            }
        });
    }

    @Override
    public CompletableFuture<Integer> purge(long incompleteStartedBefore, long completedBefore) {
        return purgeFrom(0, incompleteStartedBefore, completedBefore);
    }

    /** Deletes a batch after {@code deletedSoFar} files, and the next while batches come back full. */
    private CompletableFuture<Integer> purgeFrom(int deletedSoFar, long incompleteStartedBefore, long completedBefore) {
        return purgeBatch(incompleteStartedBefore, completedBefore).thenCompose(deleted -> deleted < PURGE_BATCH
                ? CompletableFuture.completedFuture(deletedSoFar + deleted)
                : purgeFrom(deletedSoFar + deleted, incompleteStartedBefore, completedBefore));
    }

    private CompletableFuture<Integer> purgeBatch(long incompleteStartedBefore, long completedBefore) {
        return database.writer().submit(context -> {
            PreparedStatement select = context.statement(SELECT_EXPIRED);
            select.setLong(1, incompleteStartedBefore);
            select.setLong(2, completedBefore);
            List<String> expired = new ArrayList<>();
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    expired.add(rows.getString(1));
                }
            }
            for (String fileId : expired) {
                // The file's row first: a chunk that another node is storing holds that row's lock, so this
                // waits for it, and the chunk, committed by then, goes with the others (READ COMMITTED).
                delete(context, fileId);
            }
            return expired.size();
        });
    }

    private static boolean exists(PreparedStatement select, String... parameters) throws SQLException {
        for (int i = 0; i < parameters.length; i++) {
            select.setString(i + 1, parameters[i]);
        }
        try (ResultSet row = select.executeQuery()) {
            return row.next();
        }
    }

    /** The file, which must be {@code ownerId}'s ({@code file_not_found} otherwise). */
    private static StoredFile ownedFile(PreparedStatement select, String fileId, String ownerId) throws SQLException {
        StoredFile file = file(select, fileId);
        if (file == null || !file.ownerId().equals(ownerId)) {
            throw new RequestRejectedException(ErrorCode.FILE_NOT_FOUND, "no upload " + fileId + " of this user");
        }
        return file;
    }

    private static StoredFile file(PreparedStatement select, String fileId) throws SQLException {
        select.setString(1, fileId);
        return file(select);
    }

    /** The file {@code select} (its parameters set) finds, or null. */
    private static StoredFile file(PreparedStatement select) throws SQLException {
        try (ResultSet row = select.executeQuery()) {
            if (!row.next()) {
                return null;
            }
            return new StoredFile(row.getString(1), row.getString(2), row.getString(3), row.getString(4),
                    row.getLong(5), row.getLong(6), row.getLong(7), row.getLong(8));
        }
    }
}
