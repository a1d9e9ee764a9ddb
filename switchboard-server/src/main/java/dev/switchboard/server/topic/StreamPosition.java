package dev.switchboard.server.topic;

/**
 * A position in a topic's stream: offsets count publications from 1 within an epoch; a new epoch
 * (history lost: expired, or the node holding it restarted) starts again at 0.
 */
public record StreamPosition(String epoch, long offset) {
}
