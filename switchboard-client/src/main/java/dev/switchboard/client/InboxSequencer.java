package dev.switchboard.client;

/**
 * Decides what to do with each inbound inbox entry so that the application sees every seq exactly once
 * and in order (docs/PROTOCOL.md section 4). It only tracks {@code lastSeq}, the highest contiguous seq
 * processed; it stores no messages, so an entry that arrives ahead of a gap is dropped and fetched again
 * by the {@code resume} the caller sends on {@link Decision#GAP}.
 *
 * <p>Not thread-safe: confined to the client's event loop. {@link #lastSeq()} alone may be read from any
 * thread.
 */
final class InboxSequencer {

    /** What the caller must do with an entry offered to {@link #offer(long)}. */
    enum Decision {
        /** The next entry: hand it to the application and acknowledge it. {@code lastSeq} moved to it. */
        DELIVER,
        /** Already processed ({@code seq <= lastSeq}): drop it. */
        DUPLICATE,
        /** Entries are missing before this one: drop it and send {@code resume {afterSeq: lastSeq}}. */
        GAP,
        /** Ahead of a gap for which a resume was already requested: drop it, do nothing else. */
        AWAITING_RESUME
    }

    private volatile long lastSeq;
    private boolean positioned;
    private boolean awaitingResume;

    /**
     * @param initialAfterSeq seeds {@code lastSeq}; null when the client has no local state and will start
     *                        from the server's cursor (see {@link #resumeAfter})
     */
    InboxSequencer(Long initialAfterSeq) {
        if (initialAfterSeq != null) {
            lastSeq = initialAfterSeq;
            positioned = true;
        }
    }

    /** The highest seq processed, or the seed; 0 before any. */
    long lastSeq() {
        return lastSeq;
    }

    /**
     * Chooses the {@code afterSeq} of the {@code resume} that follows a {@code welcome}, and forgets any
     * resume requested on the previous connection.
     * <ul>
     *   <li>Positioned (something processed, or seeded): resume after {@code lastSeq}.</li>
     *   <li>Not positioned: omit {@code afterSeq}, so the server continues from the device's {@code cursor},
     *       and position at that cursor, since that is where the server's entries will start.</li>
     *   <li>The server's newest seq is below {@code lastSeq}: its store was reset (nothing else can make
     *       it go back). Entries would all look like duplicates, so restart from {@code cursor}.</li>
     * </ul>
     *
     * @param cursor        {@code welcome.cursor}, the device's acknowledged seq
     * @param serverLastSeq {@code welcome.lastSeq}, the user's newest seq, or -1 when unknown
     * @return the {@code afterSeq} to send, or null to omit it
     */
    Long resumeAfter(long cursor, long serverLastSeq) {
        awaitingResume = false;
        if (!positioned) {
            lastSeq = cursor;
            positioned = true;
            return null;
        }
        if (serverLastSeq >= 0 && serverLastSeq < lastSeq) {
            lastSeq = cursor;
        }
        return lastSeq;
    }

    /**
     * Classifies the entry with this seq, updating {@code lastSeq} on {@link Decision#DELIVER}.
     * After {@link Decision#GAP} the following out-of-order entries are {@link Decision#AWAITING_RESUME}
     * until the gap fills, a {@code truncated} covers it, a {@code synced} arrives or a new connection resumes.
     */
    Decision offer(long seq) {
        if (seq <= lastSeq) {
            return Decision.DUPLICATE;
        }
        if (seq == lastSeq + 1) {
            lastSeq = seq;
            awaitingResume = false;
            return Decision.DELIVER;
        }
        if (awaitingResume) {
            return Decision.AWAITING_RESUME;
        }
        awaitingResume = true;
        return Decision.GAP;
    }

    /**
     * Applies {@code truncated {afterSeq, nextSeq}}: seqs {@code afterSeq+1 … nextSeq-1} will never come.
     * It counts only when it starts at or before {@code lastSeq} and reaches past it.
     *
     * @return true when {@code lastSeq} moved to {@code nextSeq - 1}; the caller then notifies the application
     */
    boolean onTruncated(long afterSeq, long nextSeq) {
        if (afterSeq <= lastSeq && lastSeq < nextSeq - 1) {
            lastSeq = nextSeq - 1;
            awaitingResume = false;
            return true;
        }
        return false;
    }

    /**
     * A {@code synced} arrived: a replay finished. If a gap is still open, the next out-of-order entry
     * asks for a resume again instead of waiting for one that may never fill the gap.
     */
    void onSynced() {
        awaitingResume = false;
    }
}
