package dev.switchboard.server.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded store's inbox entries: appended to a log, packed into per-user runs about once a second.
 *
 * <p>Why: with one row per entry keyed by (user, seq), every commit rewrote the newest B-tree page of
 * every user in its batch, 4 KiB each, and that was most of the single writer's time, which bounds
 * durable throughput (docs/BENCHMARKS.md). Here an append adds its entries to {@code inbox_log}, a
 * table without any index whose pages fill in order, and to this writer's list of the attempt's
 * entries. After the commit they join the {@link InboxTail}, the log's copy in memory. A second after
 * the last merge, or once the tail holds {@value #MERGE_ENTRIES} entries, the next batch first packs
 * it: each user's entries into {@code inbox_run} rows of up to {@value InboxRun#MAX_ENTRIES}
 * consecutive entries ({@link InboxRun}), and {@code DELETE FROM inbox_log} without {@code WHERE}, which SQLite carries
 * out by freeing the table's pages. Both happen in the batch's transaction, so a crash leaves the
 * entries either in the log or in runs, never in neither. Only the log's rows are read back, and only
 * when the store opens ({@link #open}) or after a commit failed in an unknown state.
 *
 * <p>Readers see one snapshot: a read starts its database snapshot by reading {@code
 * inbox_state.commit_number} (the number of the last commit that changed entries), then takes the
 * tail's entries of commits up to that number, then reads the user's runs in the same snapshot. The
 * writer publishes a commit's entries to the tail right after the commit, so a reader may wait a
 * moment for them ({@link InboxTail#awaitPublished}); and it removes packed entries from the tail
 * right after the commit that packed them, so a reader whose snapshot predates that commit reads
 * again ({@link InboxTail#mergedCommit}).
 *
 * <p>Retention ({@link PackedInboxPurge}) packs everything first and then works on runs only. SQL no
 * longer sees which messages the entries refer to, so each message counts its entries
 * ({@code messages.inbox_refs}).
 *
 * <p>The attempt's state is confined to the writer thread; {@link #read} runs on reader threads.
 */
final class PackedInbox {
    private static final Logger log = LoggerFactory.getLogger(PackedInbox.class);

    /** How old the tail may get before the next batch packs it. */
    static final long MERGE_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(1);
    /** How many entries the tail may hold before the next batch packs it, whatever their age. */
    static final int MERGE_ENTRIES = 131_072;
    /** Reads of a page at most, when merges keep overtaking its snapshot. */
    private static final int MAX_READ_ATTEMPTS = 10;

    static final String SELECT_COMMIT_NUMBER = "SELECT commit_number FROM inbox_state WHERE id = 1";
    private static final String UPDATE_COMMIT_NUMBER = "UPDATE inbox_state SET commit_number = ? WHERE id = 1";
    private static final String INSERT_LOG = "INSERT INTO inbox_log (user_id, seq, message_id) VALUES (?, ?, ?)";
    static final String SELECT_LOG = "SELECT rowid, user_id, seq, message_id FROM inbox_log ORDER BY rowid";
    private static final String DELETE_LOG = "DELETE FROM inbox_log";
    private static final String SELECT_RUNS_AFTER =
            "SELECT first_seq, message_ids FROM inbox_run WHERE user_id = ? AND last_seq > ? ORDER BY last_seq";
    private static final String SELECT_RUN_OF_MESSAGE = "SELECT first_seq, message_ids FROM inbox_run "
            + "WHERE user_id = ? AND first_message_id <= ? ORDER BY last_seq DESC LIMIT 1";

    private final InboxTail tail;

    // The writer's state of the current attempt at a batch.
    /** Entries this attempt appended, in order. */
    private final List<LoggedEntry> appended = new ArrayList<>();
    /** How many of {@link #appended} this attempt has already packed into runs (they skip the tail). */
    private int appendedPacked;
    /** Per user, the newest tail entry this attempt packed: removed from the tail once it commits. */
    private final Map<String, Long> tailPackedThrough = new HashMap<>();
    /** Whether this attempt changed entries, so its commit gets a number. */
    private boolean changed;

    private long lastMergeNanos = System.nanoTime();
    /** Set when a commit failed in an unknown state: the next attempt reloads the tail from the log. */
    private boolean reloadNeeded;

    /**
     * {@code commitNumber}: the number of the last commit that changed entries. From then on the tail's
     * {@link InboxTail#publishedCommit()} is that number: the writer numbers its next commit after it.
     */
    private PackedInbox(long commitNumber) {
        this.tail = new InboxTail(commitNumber);
    }

    /**
     * Opens the inbox of a migrated SQLite database: packs whatever the log holds into runs (entries
     * a stopped or crashed process had not packed yet, or a whole inbox of rows migrated from an
     * earlier version), a chunk of rows per transaction, so the tail starts empty.
     */
    static PackedInbox open(DataSource dataSource) throws SQLException {
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            long packed = 0;
            try {
                for (int chunk; (chunk = InboxRunWrites.packLogChunk(connection)) > 0; ) {
                    connection.commit();
                    packed += chunk;
                }
                long commitNumber;
                try (Statement select = connection.createStatement();
                     ResultSet row = select.executeQuery(SELECT_COMMIT_NUMBER)) {
                    row.next();
                    commitNumber = row.getLong(1);
                }
                connection.commit();
                if (packed > 0) {
                    log.atInfo().setMessage("inbox log packed into runs").addKeyValue("entries", packed).log();
                }
                return new PackedInbox(commitNumber);
            } catch (SQLException | RuntimeException e) {
                connection.rollback();
                throw e;
            } finally {
                connection.setAutoCommit(true);
            }
        }
    }

    // ---------------------------------------------------------------- writer thread

    /** Starts an attempt at a batch: reloads the tail if a failed commit left it unknown, and packs it when due. */
    void beginAttempt(WriteContext context) throws SQLException {
        clearAttempt();
        if (reloadNeeded) {
            reload(context);
        }
        if (tail.size() >= MERGE_ENTRIES
                || (tail.size() > 0 && System.nanoTime() - lastMergeNanos >= MERGE_INTERVAL_NANOS)) {
            packAll(context);
        }
    }

    /** Appends a message's entries (written with the batch's other queued rows, see {@link WriteContext#batched}). */
    void append(WriteContext context, long messageId, List<Recipient> recipients) throws SQLException {
        PreparedStatement insert = context.batched(INSERT_LOG);
        for (Recipient recipient : recipients) {
            insert.setString(1, recipient.userId());
            insert.setLong(2, recipient.seq());
            insert.setLong(3, messageId);
            insert.addBatch();
            appended.add(new LoggedEntry(recipient.userId(), recipient.seq(), messageId));
        }
        changed = true;
    }

    /**
     * The entries of {@code messageId} that {@code userIds} hold (a user without one, any more, is left
     * out), in the order given. This attempt's entries are scanned once for all the users: inside a
     * large batch they are many, and a group has many users.
     */
    List<Recipient> entriesOf(WriteContext context, long messageId, Collection<String> userIds) throws SQLException {
        Map<String, Long> appendedNow = new HashMap<>();
        for (LoggedEntry entry : appended) {
            if (entry.messageId() == messageId) {
                appendedNow.put(entry.userId(), entry.seq());
            }
        }
        List<Recipient> entries = new ArrayList<>(userIds.size());
        for (String userId : userIds) {
            Long seq = appendedNow.get(userId);
            long found = seq != null ? seq : committedSeqOf(context, userId, messageId);
            if (found > 0) {
                entries.add(new Recipient(userId, found));
            }
        }
        return entries;
    }

    /** The seq of {@code userId}'s committed entry of {@code messageId} (in the tail or a run), or 0. */
    private long committedSeqOf(WriteContext context, String userId, long messageId) throws SQLException {
        for (EntryRef entry : tail.entriesOf(userId)) {
            if (entry.messageId() == messageId) {
                return entry.seq();
            }
        }
        PreparedStatement select = context.statement(SELECT_RUN_OF_MESSAGE);
        select.setString(1, userId);
        select.setLong(2, messageId);
        try (ResultSet row = select.executeQuery()) {
            return row.next() ? InboxRun.unpack(row.getLong(1), row.getBytes(2)).seqOf(messageId) : 0;
        }
    }

    /**
     * Packs every logged entry into runs and empties the log: the tail's entries and those this attempt
     * appended so far. Retention runs on runs only and calls this first.
     */
    void packAll(WriteContext context) throws SQLException {
        context.flushQueued(); // the log rows this attempt queued, which the DELETE below must not outlive
        Map<String, List<EntryRef>> byUser = new LinkedHashMap<>();
        for (String userId : tail.userIds()) {
            long packedThrough = tailPackedThrough.getOrDefault(userId, 0L);
            for (EntryRef entry : tail.entriesOf(userId)) {
                if (entry.seq() > packedThrough) {
                    byUser.computeIfAbsent(userId, user -> new ArrayList<>()).add(entry);
                }
            }
        }
        Map<String, Long> tailThrough = new HashMap<>();
        byUser.forEach((userId, entries) -> tailThrough.put(userId, entries.get(entries.size() - 1).seq()));
        for (int i = appendedPacked; i < appended.size(); i++) {
            LoggedEntry entry = appended.get(i);
            byUser.computeIfAbsent(entry.userId(), user -> new ArrayList<>()).add(new EntryRef(entry.seq(), entry.messageId()));
        }
        if (byUser.isEmpty()) {
            return;
        }
        PreparedStatement insert = context.statement(InboxRunWrites.INSERT_RUN);
        for (Map.Entry<String, List<EntryRef>> user : byUser.entrySet()) {
            InboxRunWrites.requireRisingSeqs(user.getKey(), user.getValue());
            InboxRunWrites.addRuns(insert, user.getKey(), user.getValue());
        }
        insert.executeBatch();
        context.statement(DELETE_LOG).executeUpdate();
        tailPackedThrough.putAll(tailThrough);
        appendedPacked = appended.size();
        changed = true;
    }

    /** Numbers this attempt's commit, if it changed entries. */
    void beforeCommit(WriteContext context) throws SQLException {
        if (changed) {
            PreparedStatement update = context.statement(UPDATE_COMMIT_NUMBER);
            update.setLong(1, tail.publishedCommit() + 1);
            update.executeUpdate();
        }
    }

    /** The attempt committed: packed entries leave the tail, the others join it. */
    void afterCommit() {
        if (changed) {
            long commitNumber = tail.publishedCommit() + 1; // as beforeCommit wrote it
            if (!tailPackedThrough.isEmpty()) {
                tail.removeMerged(tailPackedThrough, commitNumber);
            }
            if (!tailPackedThrough.isEmpty() || appendedPacked > 0) {
                lastMergeNanos = System.nanoTime();
            }
            tail.publish(appended.subList(appendedPacked, appended.size()), commitNumber);
        }
        clearAttempt();
    }

    /**
     * The attempt rolled back. Returns whether it had changed entries: then its commit, if it got that
     * far, may have failed after all but succeeded, and the tail is checked against the log before the
     * next attempt (and the caller forgets its cached sequences likewise).
     */
    boolean afterRollback() {
        boolean outcomeUnknown = changed;
        if (changed) {
            reloadNeeded = true;
        }
        clearAttempt();
        return outcomeUnknown;
    }

    /** A batch or a write failed for good ({@code JdbcWriter.failAll}): check the tail against the log before the next attempt. */
    void forgetAfterFailure() {
        reloadNeeded = true;
        clearAttempt();
    }

    private void clearAttempt() {
        appended.clear();
        appendedPacked = 0;
        tailPackedThrough.clear();
        changed = false;
    }

    /** Whether a failed attempt left the tail to be checked against the log. */
    boolean isReloadNeeded() {
        return reloadNeeded;
    }

    /**
     * After a failed attempt: if the database's last commit of entries is not the tail's (a commit that
     * failed but took effect, or an {@link Error} while publishing), replaces the tail with the log as
     * committed. Reads in the context's current transaction.
     */
    void reloadIfNeeded(WriteContext context) throws SQLException {
        if (reloadNeeded) {
            reload(context);
        }
    }

    private void reload(WriteContext context) throws SQLException {
        long committed;
        try (ResultSet row = context.statement(SELECT_COMMIT_NUMBER).executeQuery()) {
            row.next();
            committed = row.getLong(1);
        }
        if (committed == tail.publishedCommit()) {
            reloadNeeded = false; // the failed attempt did not commit: the tail is the log
            return;
        }
        List<LoggedEntry> entries = new ArrayList<>();
        try (ResultSet row = context.statement(SELECT_LOG).executeQuery()) {
            while (row.next()) {
                entries.add(new LoggedEntry(row.getString(2), row.getLong(3), row.getLong(4)));
            }
        }
        tail.reload(entries, committed);
        reloadNeeded = false;
        log.atWarn().setMessage("inbox tail reloaded from the log after a commit of unknown outcome")
                .addKeyValue("entries", entries.size()).addKeyValue("commitNumber", committed).log();
    }

    // ---------------------------------------------------------------- reader threads

    /**
     * Up to {@code limit} of {@code userId}'s entries after {@code afterSeq}, in seq order, in one
     * snapshot: it must be the read's first statement, since the snapshot starts with it. The read's
     * later statements see the same snapshot.
     */
    List<EntryRef> read(ReadContext context, String userId, long afterSeq, int limit) throws SQLException {
        for (int attempt = 1; ; attempt++) {
            long snapshotCommit = startSnapshot(context);
            List<EntryRef> entries = readInSnapshot(context, snapshotCommit, userId, afterSeq, limit);
            if (entries != null) {
                return entries;
            }
            if (attempt == MAX_READ_ATTEMPTS) {
                throw new SQLException("inbox read of " + userId + " overtaken by merges " + attempt + " times");
            }
            context.restartSnapshot();
        }
    }

    /** Starts the read's snapshot (the read's first statement); returns the number of its newest commit of entries. */
    long startSnapshot(ReadContext context) throws SQLException {
        try (ResultSet row = context.statement(SELECT_COMMIT_NUMBER).executeQuery()) {
            row.next();
            return row.getLong(1);
        }
    }

    /**
     * {@link #read} in the snapshot {@link #startSnapshot} started, or null when a merge committed
     * after that snapshot may have taken entries out of the tail that the snapshot's runs lack.
     */
    List<EntryRef> readInSnapshot(ReadContext context, long snapshotCommit, String userId, long afterSeq, int limit)
            throws SQLException {
        tail.awaitPublished(snapshotCommit);
        List<EntryRef> fromTail = tail.entriesAfter(userId, afterSeq, limit, snapshotCommit);
        if (tail.mergedCommit() > snapshotCommit) {
            return null;
        }
        return union(runsAfter(context, userId, afterSeq, limit), fromTail, limit);
    }

    private static List<EntryRef> runsAfter(ReadContext context, String userId, long afterSeq, int limit)
            throws SQLException {
        List<EntryRef> entries = new ArrayList<>(Math.min(limit, 256));
        PreparedStatement select = context.statement(SELECT_RUNS_AFTER);
        select.setString(1, userId);
        select.setLong(2, afterSeq);
        try (ResultSet row = select.executeQuery()) {
            while (entries.size() < limit && row.next()) {
                InboxRun run = InboxRun.unpack(row.getLong(1), row.getBytes(2));
                for (int i = 0; i < run.messageIds().length && entries.size() < limit; i++) {
                    long seq = run.firstSeq() + i;
                    if (seq > afterSeq) {
                        entries.add(new EntryRef(seq, run.messageIds()[i]));
                    }
                }
            }
        }
        return entries;
    }

    /** The first {@code limit} entries of two seq-ordered lists, each seq once. */
    static List<EntryRef> union(List<EntryRef> first, List<EntryRef> second, int limit) {
        List<EntryRef> union = new ArrayList<>(Math.min(limit, first.size() + second.size()));
        int i = 0;
        int j = 0;
        while (union.size() < limit && (i < first.size() || j < second.size())) {
            EntryRef next;
            if (j == second.size() || (i < first.size() && first.get(i).seq() <= second.get(j).seq())) {
                next = first.get(i++);
                if (j < second.size() && second.get(j).seq() == next.seq()) {
                    j++;
                }
            } else {
                next = second.get(j++);
            }
            union.add(next);
        }
        return union;
    }
}
