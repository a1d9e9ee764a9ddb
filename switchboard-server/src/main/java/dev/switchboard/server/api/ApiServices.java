package dev.switchboard.server.api;

import dev.switchboard.server.chat.ChatService;
import dev.switchboard.server.cluster.Cluster;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.NodeStatsSampler;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.moderation.Moderation;
import dev.switchboard.server.store.GroupStore;
import dev.switchboard.server.store.MessageStore;
import dev.switchboard.server.topic.TopicPolicy;

/** What the API endpoints act on, built once by the server. */
public record ApiServices(
        ServerConfig config,
        ChatService chat,
        MessageStore messages,
        GroupStore groups,
        TopicPolicy topicPolicy,
        Cluster cluster,
        Moderation moderation,
        ServerMetrics metrics,
        NodeStatsSampler stats) {
}
