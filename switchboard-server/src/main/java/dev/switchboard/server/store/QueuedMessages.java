package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The messages a batch's appends store, with their inbox entries, held until {@link #flush} writes all
 * of them with one batched statement per table. Used with {@link SqlDialect#queuesWrites()}: a
 * database across the network, where every statement executed on its own costs a round trip.
 *
 * @implNote A JDBC batch with generated keys is one round trip for any number of rows (MariaDB
 * Connector/J and PgJDBC pipeline it) and returns every row's id in order; the inbox entries follow
 * in a second batch once the ids are known. Per message this replaces an insert and an inbox batch,
 * two round trips, with nothing. Confined to the writer thread.
 */
final class QueuedMessages {
    private static final String INSERT_MESSAGE =
            "INSERT INTO messages (sender_id, sender_device, target_kind, target_id, client_id, body, created_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?)";
    private static final String INSERT_INBOX =
            "INSERT INTO inbox (user_id, seq, message_id, created_at) VALUES (?, ?, ?, ?)";

    /** One queued message; {@link #result} is known once the batch is flushed. */
    static final class Queued {
        private final AppendRequest request;
        private final List<Recipient> recipients;
        private final long senderSeq;
        private long id;

        private Queued(AppendRequest request, List<Recipient> recipients, long senderSeq) {
            this.request = request;
            this.recipients = recipients;
            this.senderSeq = senderSeq;
        }

        /** The stored message; a resend in the same batch gets it as a duplicate. Only after {@link #flush}. */
        AppendResult result(boolean duplicate) {
            if (id == 0) {
                throw new IllegalStateException("queued message read before its batch was flushed");
            }
            return new AppendResult(request.storedAs(id), senderSeq, duplicate ? List.of() : recipients, duplicate);
        }
    }

    private final List<Queued> queued = new ArrayList<>();
    private final Map<String, Queued> bySenderAndClientId = new HashMap<>();

    /**
     * Queues a message with its inbox entries (seqs already allocated) and returns its handle. The
     * caller has checked with {@link #find} that this sender queued no message with this client id.
     */
    Queued add(AppendRequest request, List<Recipient> recipients, long senderSeq) {
        Queued message = new Queued(request, recipients, senderSeq);
        queued.add(message);
        bySenderAndClientId.put(key(request.senderId(), request.clientId()), message);
        return message;
    }

    /** The message queued earlier in this batch by this sender with this client id, or null. */
    Queued find(String senderId, String clientId) {
        return bySenderAndClientId.get(key(senderId, clientId));
    }

    /** Writes every queued message and inbox entry inside the writer's transaction, then empties the queue. */
    void flush(WriteContext context) throws SQLException {
        if (queued.isEmpty()) {
            return;
        }
        PreparedStatement messages = context.insertReturningKeys(INSERT_MESSAGE);
        for (Queued message : queued) {
            AppendRequest request = message.request;
            messages.setString(1, request.senderId());
            messages.setString(2, request.senderDevice());
            messages.setString(3, request.targetKind().wireName());
            messages.setString(4, request.targetId());
            messages.setString(5, request.clientId());
            messages.setString(6, request.bodyJson());
            messages.setLong(7, request.createdAt());
            messages.addBatch();
        }
        messages.executeBatch();
        int index = 0;
        try (ResultSet keys = messages.getGeneratedKeys()) {
            while (keys.next() && index < queued.size()) {
                queued.get(index++).id = keys.getLong(1);
            }
        }
        if (index != queued.size()) {
            throw new SQLException("the database returned " + index + " ids for " + queued.size() + " inserted messages");
        }
        PreparedStatement inbox = context.statement(INSERT_INBOX);
        for (Queued message : queued) {
            for (Recipient recipient : message.recipients) {
                inbox.setString(1, recipient.userId());
                inbox.setLong(2, recipient.seq());
                inbox.setLong(3, message.id);
                inbox.setLong(4, message.request.createdAt());
                inbox.addBatch();
            }
        }
        inbox.executeBatch();
        queued.clear();
    }

    /** Forgets everything queued: the start of a batch or of its retry (the handles of a flushed batch stay valid). */
    void clear() {
        queued.clear();
        bySenderAndClientId.clear();
    }

    private static String key(String senderId, String clientId) {
        return senderId + '\u0000' + clientId;
    }
}
