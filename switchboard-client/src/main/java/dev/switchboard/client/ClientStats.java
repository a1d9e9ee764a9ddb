package dev.switchboard.client;

/**
 * A snapshot of a client's counters since it was created. Counters only grow.
 *
 * @param delivered            inbox entries handed to {@link ClientListener#onMessage}
 * @param duplicatesSuppressed inbox entries dropped because their seq had been processed already
 * @param reconnects           connection attempts made after the first one
 * @param sendsResent          transmissions of a send after its first (after a reconnect or a retryable error)
 * @param truncatedRanges      {@code truncated} announcements that moved {@code lastSeq} forward
 */
public record ClientStats(long delivered, long duplicatesSuppressed, long reconnects, long sendsResent,
                          long truncatedRanges) {
}
