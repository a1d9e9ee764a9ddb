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
 * One {@link MessageStore#append}, as a writer task: {@link #prepare} works out the recipients (target
 * user or group members, plus the sender) and reserves their sequences; {@link #run} stores the
 * message and one inbox entry per recipient. A resend of a stored (sender, client id) returns the
 * stored message as a duplicate.
 *
 * <p>Two ways to store, by {@link SqlDialect#queuesWrites()}. In process (SQLite) the task inserts at
 * once, with {@code ON CONFLICT DO NOTHING RETURNING id}: the insert itself detects a resend, one
 * index lookup per message fewer on the writer, whose thread bounds durable throughput; its inbox
 * entries go to the {@link PackedInbox}. Across the
 * network (MariaDB/MySQL, PostgreSQL) the resend check is requested in {@code prepare} and answered
 * for the whole batch at once ({@link SentMessageLookup}), and the rows are queued
 * ({@link QueuedMessages}) and inserted by batched statements after the batch's last task: a few
 * round trips per batch instead of three per message. The result, which needs the generated id,
 * then comes from {@link #result}. A resend that another node stores between the lookup and the
 * insert fails the batch on the unique key; the writer retries it, and the lookup then finds it.
 */
final class AppendTask implements JdbcWriter.Task<AppendResult> {
    private static final String SELECT_BY_CLIENT_ID =
            "SELECT id, sender_device, target_kind, target_id, body, created_at, file_json FROM messages "
                    + "WHERE sender_id = ? AND client_id = ?";
    private static final String SELECT_GROUP_EXISTS = "SELECT 1 FROM chat_group WHERE id = ?";
    private static final String SELECT_GROUP_MEMBERS = "SELECT user_id FROM group_member WHERE group_id = ?";
    /** The embedded store's insert: also the number of inbox entries the message gets ({@link PackedInbox}). */
    private static final String INSERT_MESSAGE_UNLESS_SENT = "INSERT INTO messages "
            + "(sender_id, sender_device, target_kind, target_id, client_id, body, created_at, file_json, inbox_refs) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, sender_id) DO NOTHING RETURNING id";

    /** The request; for a message with a file, with the file's description once this batch has read it. */
    private AppendRequest request;
    private Set<String> recipientIds;
    /** The queued message whose result this task reports (its own, or an earlier one of the batch it resends). */
    private QueuedMessages.Queued queued;
    private boolean resendOfQueued;

    AppendTask(AppendRequest request) {
        this.request = request;
    }

    @Override
    public void prepare(WriteContext context) throws SQLException {
        if (context.dialect().queuesWrites()) {
            context.sentMessages().request(request.senderId(), request.clientId());
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
        return context.dialect().queuesWrites() ? queue(context) : insert(context);
    }

    @Override
    public AppendResult result(AppendResult ranResult) {
        return queued == null ? ranResult : queued.result(resendOfQueued);
    }

    /** Queues the message and its entries; returns the stored message of a resend, else null (see {@link #result}). */
    private AppendResult queue(WriteContext context) throws SQLException {
        queued = null;
        AppendResult stored = context.sentMessages().stored(request.senderId(), request.clientId());
        if (stored != null) {
            return stored;
        }
        QueuedMessages.Queued earlier = context.queuedMessages().find(request.senderId(), request.clientId());
        if (earlier != null) {
            queued = earlier;
            resendOfQueued = true;
            return null;
        }
        resolveRecipients(context);
        describeFile(context); // may reject: before anything is written
        List<Recipient> recipients = allocateEntries(context);
        queued = context.queuedMessages().add(request, recipients, senderSeq(recipients));
        grantFile(context);
        resendOfQueued = false;
        recordPartners(context);
        return null;
    }

    /** Inserts the message at once, and its entries into the packed inbox's log (SQLite). */
    private AppendResult insert(WriteContext context) throws SQLException {
        // prepare() ran before any task of the batch wrote: look again only where the batch changed things.
        if (context.wasMessageWritten(request.senderId(), request.clientId())) {
            return findExisting(context);
        }
        try {
            resolveRecipients(context); // may reject: before anything is written
        } catch (RequestRejectedException e) {
            // A resend of a stored message is answered as a duplicate even if the sender left the group since.
            AppendResult existing = findExisting(context);
            if (existing != null) {
                return existing;
            }
            throw e;
        }
        if (request.fileId() != null) {
            AppendResult existing = findExisting(context); // a resend is answered as one, even if its file has gone
            if (existing != null) {
                return existing;
            }
            describeFile(context); // may reject: before anything is written
        }
        long messageId = insertMessage(context);
        if (messageId == 0) {
            return findExisting(context);
        }
        grantFile(context);
        List<Recipient> recipients = allocateEntries(context);
        context.packedInbox().append(context, messageId, recipients);
        context.messageWritten(request.senderId(), request.clientId());
        recordPartners(context);
        return new AppendResult(request.storedAs(messageId), senderSeq(recipients), recipients, false);
    }

    /**
     * For a message with a file: reads the file, which must be the sender's and complete, and puts its
     * description into the request, in the transaction that stores the message (so the message keeps its
     * place among the sender's sends).
     */
    private void describeFile(WriteContext context) throws SQLException {
        if (request.fileId() != null) {
            request = request.describingFile(JdbcFileStore.sendableFile(context, request.fileId(), request.senderId())
                    .descriptionJson());
        }
    }

    /** Lets the message's recipients download its file: the target user, or the target group's members. */
    private void grantFile(WriteContext context) throws SQLException {
        if (request.fileId() != null) {
            JdbcFileStore.grant(context, request.fileId(), request.targetKind(), request.targetId());
        }
    }

    private void recordPartners(WriteContext context) {
        if (request.targetKind() == TargetKind.USER) {
            context.recordPartners(request.senderId(), request.targetId());
        }
    }

    /**
     * Settles the recipients as of this point in the batch: a join or leave queued before this send
     * counts. Members that were not reserved are locked on first use (the batch retries on a conflict).
     */
    private void resolveRecipients(WriteContext context) throws SQLException {
        if (recipientIds == null
                || (request.targetKind() == TargetKind.GROUP && context.wasGroupChanged(request.targetId()))) {
            recipientIds = recipients(context);
        }
    }

    /** One inbox entry per recipient, each at the recipient's next seq. */
    private List<Recipient> allocateEntries(WriteContext context) throws SQLException {
        List<Recipient> recipients = new ArrayList<>(recipientIds.size());
        for (String userId : recipientIds) {
            recipients.add(new Recipient(userId, context.nextSeq(userId)));
        }
        return List.copyOf(recipients);
    }

    private long senderSeq(List<Recipient> recipients) {
        for (Recipient recipient : recipients) {
            if (recipient.userId().equals(request.senderId())) {
                return recipient.seq();
            }
        }
        return 0;
    }

    /** Inserts the message row and returns its id, or 0 when the (sender, client id) was stored before. */
    private long insertMessage(WriteContext context) throws SQLException {
        PreparedStatement insert = context.statement(INSERT_MESSAGE_UNLESS_SENT);
        int refs = request.bindMessageRow(insert, 1);
        insert.setInt(refs, recipientIds.size());
        try (ResultSet keys = insert.executeQuery()) {
            return keys.next() ? keys.getLong(1) : 0;
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
                    row.getString(5), row.getLong(6), row.getString(7));
        }
        List<Recipient> entries = storedEntries(context, message);
        return new AppendResult(message, senderSeq(entries), entries, true);
    }

    /**
     * The inbox entries of a stored message that are still there (SQLite): looked up for the users it
     * would go to now (the group's members may have changed since; one who has left keeps the entry and
     * gets it on resume; the networked stores, which can look entries up by message, deliver to every
     * entry). An indexed lookup per user not in the batch's own entries, on the writer: a resend to a
     * group of 1,000 costs up to 1,000 of them, but resends are rare (unconfirmed sends after a
     * reconnect), where sends are not.
     */
    private List<Recipient> storedEntries(WriteContext context, StoredMessage message) throws SQLException {
        Set<String> userIds = new LinkedHashSet<>();
        userIds.add(request.senderId());
        if (message.targetKind() == TargetKind.USER) {
            userIds.add(message.targetId());
        } else {
            addMembers(context, message.targetId(), userIds);
        }
        return List.copyOf(context.packedInbox().entriesOf(context, message.id(), userIds));
    }

    /** Adds the current members of group {@code groupId} to {@code userIds}. */
    private static void addMembers(WriteContext context, String groupId, Set<String> userIds) throws SQLException {
        PreparedStatement members = context.statement(SELECT_GROUP_MEMBERS);
        members.setString(1, groupId);
        try (ResultSet rows = members.executeQuery()) {
            while (rows.next()) {
                userIds.add(rows.getString(1));
            }
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
        addMembers(context, request.targetId(), recipients);
        if (!recipients.contains(request.senderId())) {
            throw new RequestRejectedException(ErrorCode.NOT_GROUP_MEMBER,
                    "not a member of group " + request.targetId());
        }
        return recipients;
    }
}
