package dev.switchboard.server.store;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The embedded store's committed inbox entries that are not packed into runs yet (the rows of
 * {@code inbox_log}), in memory, so that readers never scan the log: {@link PackedInbox} reads a
 * user's page from here and from the user's runs.
 *
 * <p>Every entry carries the number of the writer commit that made it durable ({@code
 * inbox_state.commit_number}). A reader first reads that number in its database snapshot, then takes
 * from here the entries of commits up to it: with {@link #publishedCommit()} and {@link #mergedCommit()}
 * it can tell whether this copy matches its snapshot (see {@link PackedInbox#read}).
 *
 * <p>Only the writer thread changes it; any thread may read. Each user's entries are guarded by their
 * own monitor, so a reader copying one user's entries never waits for another user's.
 */
final class InboxTail {
    private static final long PUBLISH_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

    /** Replaced whole by {@link #reload}, so a reader sees the old entries or the reloaded ones, never half of them. */
    private volatile Map<String, UserEntries> users = new ConcurrentHashMap<>();
    /** The newest commit whose entries are all here. */
    private volatile long publishedCommit;
    /** The newest commit that packed entries into runs, which were then removed from here. */
    private volatile long mergedCommit;
    /** Entries held; written by the writer thread only. */
    private int size;

    InboxTail(long commitNumber) {
        this.publishedCommit = commitNumber;
        this.mergedCommit = commitNumber;
    }

    /** Entries held (writer thread). */
    int size() {
        return size;
    }

    long publishedCommit() {
        return publishedCommit;
    }

    long mergedCommit() {
        return mergedCommit;
    }

    /** Adds the entries of commit {@code commitNumber}, each after its user's newest (writer thread). */
    void publish(List<LoggedEntry> entries, long commitNumber) {
        add(users, entries, commitNumber);
        size += entries.size();
        publishedCommit = commitNumber;
    }

    private static void add(Map<String, UserEntries> users, List<LoggedEntry> entries, long commitNumber) {
        for (LoggedEntry entry : entries) {
            users.computeIfAbsent(entry.userId(), user -> new UserEntries()).add(entry.seq(), entry.messageId(), commitNumber);
        }
    }

    /**
     * Removes each user's entries up to the given seq, packed into runs by commit {@code commitNumber}
     * (writer thread). The commit number is set first: a reader that then misses removed entries also
     * sees that its snapshot may predate their runs.
     */
    void removeMerged(Map<String, Long> mergedThroughSeq, long commitNumber) {
        mergedCommit = commitNumber;
        for (Map.Entry<String, Long> merged : mergedThroughSeq.entrySet()) {
            UserEntries entries = users.get(merged.getKey());
            if (entries != null) {
                size -= entries.removeThrough(merged.getValue());
                if (entries.isEmpty()) {
                    users.remove(merged.getKey()); // only the writer adds: nothing can arrive in between
                }
            }
        }
    }

    /**
     * Replaces everything with the log as committed by {@code commitNumber} (writer thread, after a failed
     * commit whose outcome is unknown): readers of older snapshots read again.
     */
    void reload(List<LoggedEntry> log, long commitNumber) {
        Map<String, UserEntries> reloaded = new ConcurrentHashMap<>();
        add(reloaded, log, commitNumber);
        mergedCommit = Math.max(mergedCommit, commitNumber);
        users = reloaded;
        size = log.size();
        publishedCommit = commitNumber;
    }

    /** The entries of {@code userId} held now, in seq order (writer thread: for a merge). */
    List<EntryRef> entriesOf(String userId) {
        UserEntries entries = users.get(userId);
        return entries == null ? List.of() : entries.copy(0, Integer.MAX_VALUE, Long.MAX_VALUE);
    }

    /** The users with entries held now (writer thread: for a merge). */
    List<String> userIds() {
        return new ArrayList<>(users.keySet());
    }

    /**
     * Waits until every entry of commit {@code commitNumber} is here: the writer publishes a commit's
     * entries right after the commit returns, so a snapshot can be a moment ahead of this copy.
     */
    void awaitPublished(long commitNumber) throws SQLException {
        if (publishedCommit >= commitNumber) {
            return;
        }
        long deadline = System.nanoTime() + PUBLISH_WAIT_NANOS;
        for (int spins = 0; publishedCommit < commitNumber; spins++) {
            if (System.nanoTime() - deadline > 0) {
                throw new SQLException("inbox entries of commit " + commitNumber + " not published after 10 s");
            }
            if (spins < 100) {
                Thread.onSpinWait();
            } else {
                LockSupport.parkNanos(20_000);
            }
        }
    }

    /**
     * Up to {@code limit} entries of {@code userId} after {@code afterSeq}, of commits up to
     * {@code upToCommit}, in seq order (any thread).
     */
    List<EntryRef> entriesAfter(String userId, long afterSeq, int limit, long upToCommit) {
        UserEntries entries = users.get(userId);
        return entries == null ? List.of() : entries.copy(afterSeq, limit, upToCommit);
    }

    /** One user's entries, in seq order, in parallel arrays between {@code start} and {@code end}. */
    private static final class UserEntries {
        private long[] seqs = new long[8];
        private long[] messageIds = new long[8];
        private long[] commits = new long[8];
        private int start;
        private int end;

        synchronized void add(long seq, long messageId, long commitNumber) {
            if (end == seqs.length) {
                int count = end - start;
                int capacity = count * 2 > seqs.length ? seqs.length * 2 : seqs.length; // compact, grow if half full
                seqs = moved(seqs, capacity);
                messageIds = moved(messageIds, capacity);
                commits = moved(commits, capacity);
                start = 0;
                end = count;
            }
            seqs[end] = seq;
            messageIds[end] = messageId;
            commits[end] = commitNumber;
            end++;
        }

        private long[] moved(long[] values, int capacity) {
            long[] copy = new long[capacity];
            System.arraycopy(values, start, copy, 0, end - start);
            return copy;
        }

        /** Removes the entries up to {@code seq}; returns how many. */
        synchronized int removeThrough(long seq) {
            int from = start;
            while (start < end && seqs[start] <= seq) {
                start++;
            }
            int removed = start - from;
            if (start == end) {
                start = 0;
                end = 0;
            }
            return removed;
        }

        synchronized boolean isEmpty() {
            return start == end;
        }

        synchronized List<EntryRef> copy(long afterSeq, int limit, long upToCommit) {
            int first = Arrays.binarySearch(seqs, start, end, afterSeq + 1);
            if (first < 0) {
                first = -first - 1;
            }
            List<EntryRef> copy = new ArrayList<>(Math.min(limit, end - first));
            for (int i = first; i < end && copy.size() < limit && commits[i] <= upToCommit; i++) {
                copy.add(new EntryRef(seqs[i], messageIds[i]));
            }
            return copy;
        }
    }
}
