package dev.switchboard.server.api;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.server.cluster.NodeStats;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@code GET /api/v1/stats}: every node's figures and recent events, for the admin page and scripts. */
final class StatsEndpoints {
    private static final int MAX_EVENTS = 50;

    private final ApiServices services;

    StatsEndpoints(ApiServices services) {
        this.services = services;
    }

    CompletableFuture<ApiResponse> stats(ApiRequest request) {
        return services.cluster().nodes().nodes().thenApply(nodes -> {
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            ArrayNode nodeList = reply.putArray("nodes");
            List<ObjectNode> events = new ArrayList<>();
            long connections = 0;
            for (NodeStats stats : nodes) {
                ObjectNode node = ApiRequest.JSON.valueToTree(stats);
                node.remove("events");
                nodeList.add(node);
                connections += stats.connections();
                for (NodeStats.NodeEvent event : stats.events()) {
                    ObjectNode json = ApiRequest.JSON.valueToTree(event);
                    json.put("nodeId", stats.nodeId());
                    events.add(json);
                }
            }
            reply.put("connections", connections);
            events.sort(Comparator.comparingLong((ObjectNode event) -> event.get("at").asLong()).reversed());
            ArrayNode eventList = reply.putArray("events");
            events.stream().limit(MAX_EVENTS).forEach(eventList::add);
            return ApiResponse.ok(reply);
        });
    }
}
