package dev.switchboard.server.store;

import java.sql.SQLException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The embedded store's device states in memory (each cached device's cursor and its user's newest
 * seq), so that a device that connects again is welcomed without a read on a store thread: in a
 * profile of reconnecting devices' handshakes, the reader threads were about a sixth of the server's
 * samples (bench/analysis.md). A reconnect storm no longer queues on the store's readers either.
 *
 * <p>Contract: {@link #get} returns null or a state that includes every commit whose writes were
 * acknowledged (their futures completed) before the call. Only for a database with one writer (SQLite,
 * locked to one process): every change to a cursor or a seq goes through the writer, which reports
 * each commit's changes here ({@link #committed}) after the commit and before completing its futures.
 *
 * <p>How a read fills it without racing the writer ({@link #readThrough}): the read takes the stamp
 * before its snapshot begins and caches what it read only if the stamp is unchanged. The writer
 * advances the stamp after each commit, before it updates the cached users that commit changed, so a
 * read whose snapshot may predate a commit either sees a newer stamp and caches nothing, or caches
 * before the update, which then moves it on. Both values only grow, so an update keeps the larger.
 *
 * <p>Bounded: at most {@code capacity} users and {@value #MAX_DEVICES} devices each; past that, about
 * a sixteenth of the users are dropped, at random: a dropped user's next handshake reads again. A user
 * with one device costs 80 bytes of heap while it is connected (its two strings are the
 * connection's), about 180 once it is gone (the strings are then the cache's alone), about 18 MB at
 * the capacity; a second device adds two small arrays (48 bytes) and its id, each further one 12
 * bytes and its id (docs/OPERATIONS.md). Any thread may call {@link #get} and {@link #readThrough};
 * {@link #committed} and {@link #clear} are the writer thread's.
 */
final class DeviceStateCache {
    static final int DEFAULT_CAPACITY = 100_000;
    /** Devices kept per user; past that the least recently added one is dropped. */
    static final int MAX_DEVICES = 8;

    private final int capacity;
    private final ConcurrentHashMap<String, UserStates> users = new ConcurrentHashMap<>();
    /** Advanced by the writer thread only (volatile: readers compare against it). */
    private volatile long stamp;
    private final AtomicBoolean evicting = new AtomicBoolean();

    DeviceStateCache(int capacity) {
        this.capacity = capacity;
    }

    /** The device's state, or null when it is not cached. */
    DeviceState get(String userId, String deviceId) {
        UserStates states = users.get(userId);
        if (states == null) {
            return null;
        }
        int index = states.indexOf(deviceId);
        return index < 0 ? null : new DeviceState(states.cursorAt(index), states.lastSeq);
    }

    /**
     * Runs {@code read} (a read of the database, in a snapshot that begins inside it) and caches what it
     * gives, unless the writer committed meanwhile: the snapshot may then predate that commit, and the
     * next read tries again. Any thread.
     */
    DeviceState readThrough(String userId, String deviceId, StateRead read) throws SQLException {
        long readStamp = stamp; // before the snapshot begins
        DeviceState state = read.run();
        users.compute(userId, (user, cached) -> {
            if (stamp != readStamp) {
                return cached;
            }
            return cached == null ? UserStates.of(deviceId, state) : cached.withDevice(deviceId, state);
        });
        if (users.size() > capacity) {
            evict();
        }
        return state;
    }

    /** A read of one device's state from the database. */
    @FunctionalInterface
    interface StateRead {
        DeviceState run() throws SQLException;
    }

    /**
     * After a commit, with the seqs and cursors it wrote (writer thread): updates the users cached.
     *
     * @param lastSeqs the users whose newest seq the commit moved, to that seq
     * @param cursors  the cursors the commit wrote, the largest per device; the stored cursor is the
     *                 larger of this and what it was
     */
    void committed(Map<String, Long> lastSeqs, Map<CursorKey, Long> cursors) {
        if (lastSeqs.isEmpty() && cursors.isEmpty()) {
            return; // a read from before this commit saw the same seqs and cursors as one after it
        }
        stamp++; // first: a read that may predate this commit can no longer be cached
        // No shortcut on an empty map: a reader's insert is in the table before the map counts it.
        for (Map.Entry<String, Long> moved : lastSeqs.entrySet()) {
            long lastSeq = moved.getValue();
            users.computeIfPresent(moved.getKey(), (user, cached) -> cached.withLastSeq(lastSeq));
        }
        for (Map.Entry<CursorKey, Long> written : cursors.entrySet()) {
            CursorKey key = written.getKey();
            long cursor = written.getValue();
            users.computeIfPresent(key.userId(), (user, cached) -> cached.withCursor(key.deviceId(), cursor));
        }
    }

    /**
     * Forgets everything (writer thread): after a failed commit, whose writes may or may not have
     * taken effect. Reads under way cache nothing either.
     */
    void clear() {
        stamp++;
        users.clear();
    }

    int size() {
        return users.size();
    }

    /**
     * Drops about one user in 16, chosen at random over the whole table (one thread at a time): one
     * pass over the map per {@code capacity / 16} users added, so a few steps per read that adds one.
     */
    private void evict() {
        if (!evicting.compareAndSet(false, true)) {
            return;
        }
        try {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            for (Iterator<String> iterator = users.keySet().iterator(); iterator.hasNext(); ) {
                iterator.next();
                if (random.nextInt(16) == 0) {
                    iterator.remove();
                }
            }
        } finally {
            evicting.set(false);
        }
    }

    /** A cursor written by a commit. */
    record CursorKey(String userId, String deviceId) {
    }

    /**
     * One user's cached state, never changed once published (a change is a copy). The first device is
     * kept in fields and only further ones in arrays: most users have one device, and two arrays for
     * it would add 48 bytes to the 72 of the entry.
     */
    private static final class UserStates {
        final long lastSeq;
        final String firstDevice;
        final long firstCursor;
        /** Devices after the first, or null. */
        final String[] moreDevices;
        final long[] moreCursors;

        private UserStates(long lastSeq, String firstDevice, long firstCursor, String[] moreDevices, long[] moreCursors) {
            this.lastSeq = lastSeq;
            this.firstDevice = firstDevice;
            this.firstCursor = firstCursor;
            this.moreDevices = moreDevices;
            this.moreCursors = moreCursors;
        }

        static UserStates of(String deviceId, DeviceState state) {
            return new UserStates(state.lastSeq(), deviceId, state.cursor(), null, null);
        }

        /** Packs devices and cursors given as arrays (at least one device). */
        private static UserStates of(long lastSeq, String[] devices, long[] cursors) {
            if (devices.length == 1) {
                return new UserStates(lastSeq, devices[0], cursors[0], null, null);
            }
            return new UserStates(lastSeq, devices[0], cursors[0], Arrays.copyOfRange(devices, 1, devices.length),
                    Arrays.copyOfRange(cursors, 1, cursors.length));
        }

        int deviceCount() {
            return moreDevices == null ? 1 : 1 + moreDevices.length;
        }

        String deviceAt(int index) {
            return index == 0 ? firstDevice : moreDevices[index - 1];
        }

        long cursorAt(int index) {
            return index == 0 ? firstCursor : moreCursors[index - 1];
        }

        int indexOf(String deviceId) {
            int count = deviceCount();
            for (int i = 0; i < count; i++) {
                if (deviceAt(i).equals(deviceId)) {
                    return i;
                }
            }
            return -1;
        }

        UserStates withLastSeq(long seq) {
            return seq <= lastSeq ? this : new UserStates(seq, firstDevice, firstCursor, moreDevices, moreCursors);
        }

        UserStates withCursor(String deviceId, long cursor) {
            int index = indexOf(deviceId);
            if (index < 0 || cursor <= cursorAt(index)) {
                return this; // a device not cached gets its cursor from its next read
            }
            return withCursorAt(lastSeq, index, cursor);
        }

        /** Adds or refreshes one device from a read (which also saw the user's newest seq). */
        UserStates withDevice(String deviceId, DeviceState read) {
            long seq = Math.max(lastSeq, read.lastSeq());
            int index = indexOf(deviceId);
            if (index >= 0) {
                return withCursorAt(seq, index, Math.max(cursorAt(index), read.cursor()));
            }
            int count = deviceCount();
            int keep = Math.min(count, MAX_DEVICES - 1); // the newest ones; the first is the oldest
            String[] devices = new String[keep + 1];
            long[] cursors = new long[keep + 1];
            for (int i = 0; i < keep; i++) {
                devices[i] = deviceAt(count - keep + i);
                cursors[i] = cursorAt(count - keep + i);
            }
            devices[keep] = deviceId;
            cursors[keep] = read.cursor();
            return of(seq, devices, cursors);
        }

        private UserStates withCursorAt(long seq, int index, long cursor) {
            if (index == 0) {
                return new UserStates(seq, firstDevice, cursor, moreDevices, moreCursors);
            }
            long[] moved = moreCursors.clone();
            moved[index - 1] = cursor;
            return new UserStates(seq, firstDevice, firstCursor, moreDevices, moved);
        }
    }
}
