package dev.switchboard.server.topic;

import java.util.List;

/**
 * A topic's stream as read for a subscriber: the newest position and the publications still kept,
 * oldest first.
 */
public record TopicHistory(StreamPosition latest, List<Publication> retained) {

    /** Why a requested recovery was not possible. */
    public enum RecoveryFailure {
        /** The stream the client knew is gone (history expired, or the node that held it restarted). */
        EPOCH_CHANGED("epoch_changed"),
        /** More was published since than the history keeps. */
        GAP_TOO_LARGE("gap_too_large"),
        /** The topic keeps no history. */
        NO_HISTORY("no_history");

        private final String wireName;

        RecoveryFailure(String wireName) {
            this.wireName = wireName;
        }

        public String wireName() {
            return wireName;
        }
    }

    /** The publications after {@code since}, or why they cannot all be given. */
    public record Recovery(List<Publication> missed, RecoveryFailure failure) {
    }

    /** What a client that saw everything up to {@code since} missed: all of it, or a failure — never part of it. */
    public Recovery recover(StreamPosition since) {
        if (!latest.epoch().equals(since.epoch()) || since.offset() > latest.offset()) {
            return new Recovery(List.of(), RecoveryFailure.EPOCH_CHANGED);
        }
        if (since.offset() == latest.offset()) {
            return new Recovery(List.of(), null);
        }
        if (retained.isEmpty()) {
            return new Recovery(List.of(), RecoveryFailure.NO_HISTORY);
        }
        if (retained.get(0).offset() > since.offset() + 1) {
            return new Recovery(List.of(), RecoveryFailure.GAP_TOO_LARGE);
        }
        List<Publication> missed = retained.stream().filter(publication -> publication.offset() > since.offset()).toList();
        return new Recovery(missed, null);
    }
}
