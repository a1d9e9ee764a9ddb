package dev.switchboard.client;

/**
 * A snapshot of a client's counters since it was created. Counters only grow.
 *
 * @param delivered            inbox entries handed to {@link ClientListener#onMessage}
 * @param duplicatesSuppressed inbox entries dropped because their seq had been processed already
 * @param reconnects           connection attempts made after the first one
 * @param sendsResent          transmissions of a send after its first (after a reconnect or a retryable error)
 * @param truncatedRanges      {@code truncated} announcements that moved {@code lastSeq} forward
 * @param publicationsDelivered           topic publications handed to {@link ClientListener#onPublication}
 * @param publicationDuplicatesSuppressed publications dropped because their offset had been delivered already
 * @param topicGaps                       publications past a gap, each of which made the client re-sync its topic
 * @param recoveryFailures                {@code subscribe} replies with {@code recovered: false}
 */
public record ClientStats(long delivered, long duplicatesSuppressed, long reconnects, long sendsResent,
                          long truncatedRanges, long publicationsDelivered, long publicationDuplicatesSuppressed,
                          long topicGaps, long recoveryFailures) {
}
