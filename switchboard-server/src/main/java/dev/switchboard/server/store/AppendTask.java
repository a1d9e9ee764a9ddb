package dev.switchboard.server.store;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.RequestRejectedException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One {@link MessageStore#append}, as a writer task: {@link #prepare} works out the recipients (target user or group members, plus the sender) and reserves their sequences;
 * {@link #run} stores the message and one inbox entry per recipient. A resend of a stored (sender,
 * client id) returns the stored message as a duplicate: found by a lookup in {@code prepare} where
 * the dialect has no RETURNING (MariaDB/MySQL), else by the insert doing nothing.
 */
final class AppendTask implements JdbcWriter.Task<AppendResult> {
    private static final String SELECT_BY_CLIENT_ID =
            "SELECT id, sender_device, target_kind, target_id, body, created_at FROM messages "
                    + "WHERE sender_id = ? AND client_id = ?";
    private static final String SELECT_SENDER_SEQ = "SELECT seq FROM inbox WHERE message_id = ? AND user_id = ?";
    private static final String SELECT_GROUP_EXISTS = "SELECT 1 FROM chat_group WHERE id = ?";
    private static final String SELECT_GROUP_MEMBERS = "SELECT user_id FROM group_member WHERE group_id = ?";
    private static final String INSERT_MESSAGE =
            "INSERT INTO messages (sender_id, sender_device, target_kind, target_id, client_id, body, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_MESSAGE_UNLESS_SENT =
            INSERT_MESSAGE + " ON CONFLICT (sender_id, client_id) DO NOTHING RETURNING id";
    /** What {@link #insertMessage} returns when the (sender, client id) was stored before. */
    private static final long DUPLICATE = -1;
    private static final String INSERT_INBOX =
            "INSERT INTO inbox (user_id, seq, message_id, created_at) VALUES (?, ?, ?, ?)";

    private final AppendRequest request;
    private Set<String> recipientIds;

    AppendTask(AppendRequest request) {
        this.request = request;
    }

    @Override
    public void prepare(WriteContext context) throws SQLException {
        // With RETURNING, the insert itself detects a resend (ON CONFLICT DO NOTHING returns no id):
        // one index lookup per message fewer on the writer, whose thread bounds durable throughput.
        if (!context.dialect().supportsReturning() && findExisting(context) != null) {
            recipientIds = Set.of();
            return;
        }
        try {
            recipientIds = recipients(context);
            context.reserveSequences(recipientIds);
        } catch (RequestRejectedException e) {
            // Not decided yet: an earlier task of this batch may create or join the group. run() decides.
            recipientIds = null;
        }
    }

    @Override
    public AppendResult run(WriteContext context) throws SQLException {
        // prepare() ran before any task of the batch wrote: look again only where the batch changed things.
        if ((recipientIds != null && recipientIds.isEmpty())
                || context.wasMessageWritten(request.senderId(), request.clientId())) {
            AppendResult existing = findExisting(context);
            if (existing != null) {
                return existing;
            }
        }
        if (recipientIds == null
                || (request.targetKind() == TargetKind.GROUP && context.wasGroupChanged(request.targetId()))) {
            // Membership as of this point in the batch: a join or leave queued before this send counts.
            // Members that were not reserved are locked on first use (the batch retries on a conflict).
            recipientIds = recipients(context);
        }
        long messageId = insertMessage(context);
        if (messageId == DUPLICATE) {
            return findExisting(context);
        }
        PreparedStatement inbox = context.statement(INSERT_INBOX);
        List<Recipient> recipients = new ArrayList<>(recipientIds.size());
        long senderSeq = 0;
        for (String userId : recipientIds) {
            long seq = context.nextSeq(userId);
            recipients.add(new Recipient(userId, seq));
            if (userId.equals(request.senderId())) {
                senderSeq = seq;
            }
            inbox.setString(1, userId);
            inbox.setLong(2, seq);
            inbox.setLong(3, messageId);
            inbox.setLong(4, request.createdAt());
            inbox.addBatch();
        }
        inbox.executeBatch();
        context.messageWritten(request.senderId(), request.clientId());
        StoredMessage message = new StoredMessage(messageId, request.senderId(), request.senderDevice(),
                request.targetKind(), request.targetId(), request.clientId(), request.bodyJson(), request.createdAt());
        return new AppendResult(message, senderSeq, List.copyOf(recipients), false);
    }

    /**
     * Inserts the message row and returns its id: with RETURNING where the dialect has it (then a resend
     * inserts nothing and this returns {@link #DUPLICATE}), else generated keys.
     */
    private long insertMessage(WriteContext context) throws SQLException {
        boolean returning = context.dialect().supportsReturning();
        PreparedStatement insert = returning ? context.statement(INSERT_MESSAGE_UNLESS_SENT)
                : context.insertReturningKeys(INSERT_MESSAGE);
        insert.setString(1, request.senderId());
        insert.setString(2, request.senderDevice());
        insert.setString(3, request.targetKind().wireName());
        insert.setString(4, request.targetId());
        insert.setString(5, request.clientId());
        insert.setString(6, request.bodyJson());
        insert.setLong(7, request.createdAt());
        if (!returning) {
            insert.executeUpdate();
        }
        try (ResultSet keys = returning ? insert.executeQuery() : insert.getGeneratedKeys()) {
            if (!keys.next()) {
                if (returning) {
                    return DUPLICATE;
                }
                throw new SQLException("no generated id for inserted message");
            }
            return keys.getLong(1);
        }
    }

    /** The stored message with this (sender, client id) as a duplicate result, or null. */
    private AppendResult findExisting(WriteContext context) throws SQLException {
        PreparedStatement select = context.statement(SELECT_BY_CLIENT_ID);
        select.setString(1, request.senderId());
        select.setString(2, request.clientId());
        StoredMessage message;
        try (ResultSet row = select.executeQuery()) {
            if (!row.next()) {
                return null;
            }
            message = new StoredMessage(row.getLong(1), request.senderId(), row.getString(2),
                    TargetKind.fromWireName(row.getString(3)), row.getString(4), request.clientId(),
                    row.getString(5), row.getLong(6));
        }
        PreparedStatement seqSelect = context.statement(SELECT_SENDER_SEQ);
        seqSelect.setLong(1, message.id());
        seqSelect.setString(2, request.senderId());
        try (ResultSet row = seqSelect.executeQuery()) {
            long senderSeq = row.next() ? row.getLong(1) : 0L;
            return new AppendResult(message, senderSeq, List.of(), true);
        }
    }

    /** The target user or the group's members, plus the sender, in a stable order, without repeats. */
    private Set<String> recipients(WriteContext context) throws SQLException {
        Set<String> recipients = new LinkedHashSet<>();
        if (request.targetKind() == TargetKind.USER) {
            recipients.add(request.targetId());
            recipients.add(request.senderId());
            return recipients;
        }
        PreparedStatement exists = context.statement(SELECT_GROUP_EXISTS);
        exists.setString(1, request.targetId());
        try (ResultSet row = exists.executeQuery()) {
            if (!row.next()) {
                throw new RequestRejectedException(ErrorCode.GROUP_NOT_FOUND, "no group " + request.targetId());
            }
        }
        PreparedStatement members = context.statement(SELECT_GROUP_MEMBERS);
        members.setString(1, request.targetId());
        try (ResultSet rows = members.executeQuery()) {
            while (rows.next()) {
                recipients.add(rows.getString(1));
            }
        }
        if (!recipients.contains(request.senderId())) {
            throw new RequestRejectedException(ErrorCode.NOT_GROUP_MEMBER,
                    "not a member of group " + request.targetId());
        }
        return recipients;
    }
}
