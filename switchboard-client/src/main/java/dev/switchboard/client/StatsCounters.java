package dev.switchboard.client;

/**
 * The mutable counters behind {@link ClientStats}. Single writer (the client's event loop), any number
 * of readers: volatile fields are enough, no atomics needed.
 */
final class StatsCounters {
    private volatile long delivered;
    private volatile long duplicatesSuppressed;
    private volatile long reconnects;
    private volatile long sendsResent;
    private volatile long truncatedRanges;
    private volatile long publicationsDelivered;
    private volatile long publicationDuplicatesSuppressed;
    private volatile long topicGaps;
    private volatile long recoveryFailures;

    void countDelivered() {
        delivered++;
    }

    void countDuplicate() {
        duplicatesSuppressed++;
    }

    void countReconnect() {
        reconnects++;
    }

    void countResent() {
        sendsResent++;
    }

    void countTruncated() {
        truncatedRanges++;
    }

    void countPublication() {
        publicationsDelivered++;
    }

    void countPublicationDuplicate() {
        publicationDuplicatesSuppressed++;
    }

    void countTopicGap() {
        topicGaps++;
    }

    void countRecoveryFailure() {
        recoveryFailures++;
    }

    /** A consistent-enough snapshot: each counter is read once, possibly while another one moves. */
    ClientStats snapshot() {
        return new ClientStats(delivered, duplicatesSuppressed, reconnects, sendsResent, truncatedRanges,
                publicationsDelivered, publicationDuplicatesSuppressed, topicGaps, recoveryFailures);
    }
}
