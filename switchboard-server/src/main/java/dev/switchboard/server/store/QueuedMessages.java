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
 * of them with a few statements. Used with {@link SqlDialect#queuesWrites()}: a database across the
 * network, where every statement executed on its own costs a round trip.
 *
 * @implNote Messages go in as multi-row {@code INSERT … RETURNING} statements (MariaDB, PostgreSQL),
 * {@value #MAX_INSERT_CHUNK} rows at most each, which return the generated ids; where there is no
 * RETURNING (MariaDB before 10.5, MySQL), as a JDBC batch with generated keys (pipelined by the
 * driver, but executed row by row by the server: measured on MariaDB, the batch took most of the
 * writer's time). The inbox entries
 * follow once the ids are known, also as multi-row inserts. Per message this replaces an insert and
 * an inbox batch, two round trips, with nothing; chunks as in {@link StatementChunks}. Confined to
 * the writer thread.
 */
final class QueuedMessages {
    /** Messages inserted by one statement at most (a power of two; 8 parameters each). */
    private static final int MAX_INSERT_CHUNK = 512;
    /** Body characters inserted by one statement at most, unless one message alone has more. */
    private static final long MAX_INSERT_BYTES = 4L << 20;
    private static final String INSERT_MESSAGE = AppendRequest.INSERT_MESSAGES + "(?, ?, ?, ?, ?, ?, ?, ?)";
    /** Inbox entries inserted by one statement at most (a power of two; 4 parameters each). */
    private static final int MAX_ENTRY_CHUNK = 1024;
    private static final String INSERT_ENTRIES = "INSERT INTO inbox (user_id, seq, message_id, created_at) VALUES ";

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
            return new AppendResult(request.storedAs(id), senderSeq, recipients, duplicate);
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
        bySenderAndClientId.put(AppendRequest.sentKey(request.senderId(), request.clientId()), message);
        return message;
    }

    /** The message queued earlier in this batch by this sender with this client id, or null. */
    Queued find(String senderId, String clientId) {
        return bySenderAndClientId.get(AppendRequest.sentKey(senderId, clientId));
    }

    /** Writes every queued message and inbox entry inside the writer's transaction, then empties the queue. */
    void flush(WriteContext context) throws SQLException {
        if (queued.isEmpty()) {
            return;
        }
        if (context.insertsReturning()) {
            // Runs of messages whose bodies add up to at most MAX_INSERT_BYTES, each split into chunks:
            // a statement stays far below MariaDB's max_allowed_packet (16 MiB by default) whatever the
            // message size limit.
            int runStart = 0;
            long runBytes = 0;
            for (int i = 0; i <= queued.size(); i++) {
                long bytes = i < queued.size() ? queued.get(i).request.bodyJson().length() : 0;
                if (i == queued.size() || (i > runStart && runBytes + bytes > MAX_INSERT_BYTES)) {
                    List<Queued> run = queued.subList(runStart, i);
                    StatementChunks.forEach(run.size(), MAX_INSERT_CHUNK,
                            (from, size) -> insertReturning(run.subList(from, from + size), context));
                    runStart = i;
                    runBytes = 0;
                }
                runBytes += bytes;
            }
        } else {
            insertBatch(context);
        }
        for (Queued message : queued) {
            if (message.id == 0) {
                throw new SQLException("the database returned no id for the message of " + message.request.senderId()
                        + " with client id " + message.request.clientId());
            }
        }
        insertEntries(context);
        queued.clear();
    }

    /** Every queued message's inbox entries, by multi-row inserts of up to {@value #MAX_ENTRY_CHUNK} rows. */
    private void insertEntries(WriteContext context) throws SQLException {
        List<Queued> owners = new ArrayList<>();
        List<Recipient> entries = new ArrayList<>();
        for (Queued message : queued) {
            for (Recipient recipient : message.recipients) {
                owners.add(message);
                entries.add(recipient);
            }
        }
        StatementChunks.forEach(entries.size(), MAX_ENTRY_CHUNK, (from, size) -> {
            PreparedStatement insert = context.statement(INSERT_ENTRIES + StatementChunks.repeat("(?, ?, ?, ?)", size));
            int parameter = 1;
            for (int i = from; i < from + size; i++) {
                insert.setString(parameter++, entries.get(i).userId());
                insert.setLong(parameter++, entries.get(i).seq());
                insert.setLong(parameter++, owners.get(i).id);
                insert.setLong(parameter++, owners.get(i).request.createdAt());
            }
            insert.executeUpdate();
            insert.clearParameters();
        });
    }

    /**
     * One multi-row {@code INSERT … RETURNING} for {@code messages}: a single statement for the server
     * to execute, not one per row. Each returned id is matched to its message by (sender, client id),
     * whatever order the database returns the rows in.
     */
    private void insertReturning(List<Queued> messages, WriteContext context) throws SQLException {
        PreparedStatement insert = context.statement(insertReturning(messages.size()));
        int parameter = 1;
        for (Queued message : messages) {
            parameter = message.request.bindMessageRow(insert, parameter);
        }
        try (ResultSet rows = insert.executeQuery()) {
            while (rows.next()) {
                String key = AppendRequest.sentKey(rows.getString(2), rows.getString(3));
                Queued message = bySenderAndClientId.get(key);
                if (message != null) {
                    message.id = rows.getLong(1);
                }
            }
        } finally {
            insert.clearParameters(); // the cached statement would otherwise keep the bodies alive
        }
    }

    /** A JDBC batch with generated keys (no RETURNING: MariaDB before 10.5, MySQL); the driver pipelines the rows' inserts. */
    private void insertBatch(WriteContext context) throws SQLException {
        PreparedStatement insert = context.insertReturningKeys(INSERT_MESSAGE);
        for (Queued message : queued) {
            message.request.bindMessageRow(insert, 1);
            insert.addBatch();
        }
        insert.executeBatch();
        insert.clearParameters();
        int index = 0;
        try (ResultSet keys = insert.getGeneratedKeys()) {
            while (keys.next() && index < queued.size()) {
                queued.get(index++).id = keys.getLong(1);
            }
        }
    }

    private static String insertReturning(int count) {
        return AppendRequest.INSERT_MESSAGES + StatementChunks.repeat("(?, ?, ?, ?, ?, ?, ?, ?)", count)
                + " RETURNING id, sender_id, client_id";
    }

    /** Forgets everything queued: the start of a batch or of its retry (the handles of a flushed batch stay valid). */
    void clear() {
        queued.clear();
        bySenderAndClientId.clear();
    }
}
