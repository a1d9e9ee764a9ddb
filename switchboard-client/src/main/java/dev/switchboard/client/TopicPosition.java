package dev.switchboard.client;

import java.util.Objects;

/**
 * Where a client stands in a topic's stream: it has seen every publication of {@code epoch} up to
 * {@code offset} (docs/PROTOCOL.md, "Topics"). Offsets count publications within one epoch from 1; a new
 * epoch (e.g. the server lost the topic's history) starts again, so offsets of different epochs are not
 * comparable.
 *
 * @param epoch  the server's epoch of the topic, never null
 * @param offset the newest offset seen; 0 when nothing was published in this epoch yet
 */
public record TopicPosition(String epoch, long offset) {

    public TopicPosition {
        Objects.requireNonNull(epoch, "epoch");
        if (offset < 0) {
            throw new IllegalArgumentException("offset must be >= 0, got " + offset);
        }
    }
}
