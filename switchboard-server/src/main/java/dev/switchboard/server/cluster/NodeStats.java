package dev.switchboard.server.cluster;

import java.util.List;

/**
 * One node's figures for the admin view, refreshed every second.
 *
 * @param events the node's most recent kicks, bans and slow-consumer closes, newest first
 */
public record NodeStats(String nodeId, int connections, int users, int topicSubscriptions,
                        double messagesInPerSecond, double messagesOutPerSecond,
                        double deliveryLatencyP50Millis, double deliveryLatencyP99Millis,
                        long slowConsumerCloses, long kicks, long uptimeSeconds, long updatedAt,
                        List<NodeEvent> events) {

    /** A kick, ban or slow-consumer close. */
    public record NodeEvent(long at, String kind, String userId, String connectionId, String reason) {
    }
}
