package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Finds which of a batch's appends were stored before (a resend of the same sender and client id),
 * for every append of the batch at once: with {@link SqlDialect#queuesWrites()} (a database across
 * the network) the batch's appends {@link #request} their lookups in the prepare phase, and the
 * writer {@link #run}s them all before the first task runs.
 *
 * @implNote One query per chunk of up to {@value #MAX_CHUNK} (sender, client id) pairs instead of
 * one per message: a query against a networked database costs a round trip, and one round trip per
 * message bounded the cluster's durable throughput (docs/BENCHMARKS.md); chunks as in
 * {@link StatementChunks}. The query also reads the message's inbox entries (through the index on
 * their message id): a resend reports the sender's as its seq, and all of them are delivered again
 * ({@link AppendResult#recipients}).
 */
final class SentMessageLookup {
    /** Pairs looked up by one statement at most (a power of two). */
    private static final int MAX_CHUNK = 256;

    /** Requested pairs by their key, each as {sender id, client id}, in request order. */
    private final Map<String, String[]> requested = new LinkedHashMap<>();
    private final Map<String, AppendResult> found = new HashMap<>();

    /** Asks for the stored message of (sender, client id), if any, to be found by the next {@link #run}. */
    void request(String senderId, String clientId) {
        requested.putIfAbsent(AppendRequest.sentKey(senderId, clientId), new String[] {senderId, clientId});
    }

    /** Runs every requested lookup; their answers stay readable through {@link #stored} until {@link #clear}. */
    void run(WriteContext context) throws SQLException {
        List<String[]> pairs = new ArrayList<>(requested.values());
        requested.clear();
        StatementChunks.forEach(pairs.size(), MAX_CHUNK, (from, size) -> lookUp(pairs.subList(from, from + size), context));
    }

    /**
     * The stored message of (sender, client id) as a duplicate result, or null if the last {@link #run}
     * found none (or it was not requested).
     */
    AppendResult stored(String senderId, String clientId) {
        return found.get(AppendRequest.sentKey(senderId, clientId));
    }

    /** Forgets every request and answer: the start of a batch, or of its retry. */
    void clear() {
        requested.clear();
        found.clear();
    }

    private void lookUp(List<String[]> pairs, WriteContext context) throws SQLException {
        PreparedStatement select = context.statement(selectSent(pairs.size()));
        int parameter = 1;
        for (String[] pair : pairs) {
            select.setString(parameter++, pair[0]);
            select.setString(parameter++, pair[1]);
        }
        Map<Long, StoredMessage> messages = new LinkedHashMap<>();
        Map<Long, List<Recipient>> entries = new HashMap<>();
        try (ResultSet row = select.executeQuery()) {
            while (row.next()) { // one row per entry still stored; one with NULLs for a message that has none
                long id = row.getLong(1);
                if (!messages.containsKey(id)) {
                    messages.put(id, new StoredMessage(id, row.getString(2), row.getString(3),
                            TargetKind.fromWireName(row.getString(4)), row.getString(5), row.getString(6),
                            row.getString(7), row.getLong(8), row.getString(11)));
                    entries.put(id, new ArrayList<>());
                }
                String userId = row.getString(9);
                if (userId != null) {
                    entries.get(id).add(new Recipient(userId, row.getLong(10)));
                }
            }
        }
        for (StoredMessage message : messages.values()) {
            List<Recipient> stored = List.copyOf(entries.get(message.id()));
            long senderSeq = 0; // the sender's entry may have expired
            for (Recipient entry : stored) {
                if (entry.userId().equals(message.senderId())) {
                    senderSeq = entry.seq();
                }
            }
            found.put(AppendRequest.sentKey(message.senderId(), message.clientId()),
                    new AppendResult(message, senderSeq, stored, true));
        }
    }

    /** The stored messages of {@code count} (sender, client id) pairs, each with its inbox entries still stored. */
    private static String selectSent(int count) {
        return "SELECT m.id, m.sender_id, m.sender_device, m.target_kind, m.target_id, m.client_id, m.body, "
                + "m.created_at, i.user_id, i.seq, m.file_json FROM messages m "
                + "LEFT JOIN inbox i ON i.message_id = m.id "
                + "WHERE (m.sender_id, m.client_id) IN (" + StatementChunks.repeat("(?, ?)", count) + ")";
    }
}
