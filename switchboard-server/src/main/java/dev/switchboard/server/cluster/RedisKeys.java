package dev.switchboard.server.cluster;

/**
 * Every Redis key and channel Switchboard uses, in one place. {@code prefix} separates clusters (and
 * test runs) sharing one Redis.
 */
final class RedisKeys {
    private final String prefix;

    RedisKeys(String prefix) {
        this.prefix = prefix;
    }

    /** Hash: user id → {node id → route expiry (ms since the epoch)}; the key itself also expires. */
    String routes(String userId) {
        return prefix + ":routes:" + userId;
    }

    /** String with TTL: node id → start time; the node's heartbeat. Gone = node dead. */
    String node(String nodeId) {
        return prefix + ":node:" + nodeId;
    }

    /** Pattern matching every node heartbeat key. */
    String nodePattern() {
        return prefix + ":node:*";
    }

    /** Pub/sub channel: envelopes for the connections of one node. */
    String nodeChannel(String nodeId) {
        return nodeChannelPrefix() + nodeId;
    }

    /** Prefix of every node channel: the channel of a node is this followed by the node id. */
    String nodeChannelPrefix() {
        return prefix + ":deliver:";
    }

    /**
     * Hash of a topic's stream: {@code e} epoch, {@code o} newest offset. The braces are a Redis
     * Cluster hash tag, so a topic's keys share one slot and one Lua script can touch them all.
     */
    String topicMeta(String topic) {
        return prefix + ":topic:{" + topic + "}:meta";
    }

    /** List of a topic's retained publications, oldest first. */
    String topicHistory(String topic) {
        return prefix + ":topic:{" + topic + "}:history";
    }

    /** String: the position of the publication published under one idempotency key. */
    String topicIdempotency(String topic, String key) {
        return prefix + ":topic:{" + topic + "}:idem:" + key;
    }

    /** Pub/sub channel of one topic; every node with subscribers to it subscribes. */
    String topicChannel(String topic) {
        return prefix + ":topic-channel:" + topic;
    }

    /** Prefix of every topic channel. */
    String topicChannelPrefix() {
        return prefix + ":topic-channel:";
    }

    /** Pub/sub channel every node listens to: kick and ban commands. */
    String controlChannel() {
        return prefix + ":control";
    }

    /** Hash: node id → the node's latest stats (JSON), for the admin view. */
    String nodeStats() {
        return prefix + ":node-stats";
    }
}
