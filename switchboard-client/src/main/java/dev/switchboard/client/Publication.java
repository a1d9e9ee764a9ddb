package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * One message published on a topic, as delivered to {@link ClientListener#onPublication}.
 *
 * @param topic  the topic
 * @param epoch  the topic's epoch
 * @param offset its place in the epoch: 1, 2, 3 … without gaps
 * @param data   the published JSON value (JSON null included), never Java null
 * @param from   the publishing user, or null when the server API published it
 */
public record Publication(String topic, String epoch, long offset, JsonNode data, String from) {

    /** The position a client has once it has seen this publication. */
    public TopicPosition position() {
        return new TopicPosition(epoch, offset);
    }
}
