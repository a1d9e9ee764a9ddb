package dev.switchboard.server.cluster;

/**
 * Every Redis key and channel Switchboard uses, in one place. {@code prefix} separates clusters (and
 * test runs) sharing one Redis.
 *
 * <p>On a Redis Cluster ({@code sharded}) the channels are shard channels ({@code SPUBLISH}), each
 * served by the master of its slot: a node's channel carries the node id as its hash tag, and a
 * topic's channel the topic's, the tag of the topic's keys, so the publication script (which writes
 * those keys) may publish on it. On one Redis the channels keep their names of old, so nodes of
 * different versions still reach each other during a rolling upgrade.
 */
final class RedisKeys {
    private final String prefix;
    private final boolean sharded;

    RedisKeys(String prefix) {
        this(prefix, false);
    }

    RedisKeys(String prefix, boolean sharded) {
        this.prefix = prefix;
        this.sharded = sharded;
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
        return sharded ? nodeChannelPrefix() + "{" + nodeId + "}" : nodeChannelPrefix() + nodeId;
    }

    /** Prefix of every node channel: on one Redis the channel of a node is this followed by the node id. */
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
        return sharded ? prefix + ":topic:{" + topic + "}:channel" : prefix + ":topic-channel:" + topic;
    }

    /** The topic whose channel {@code channel} is, or null when it is not a topic's channel. */
    String topicOfChannel(String channel) {
        if (sharded) {
            String start = prefix + ":topic:{";
            String end = "}:channel";
            return channel.startsWith(start) && channel.endsWith(end) && channel.length() > start.length() + end.length()
                    ? channel.substring(start.length(), channel.length() - end.length()) : null;
        }
        String start = prefix + ":topic-channel:";
        return channel.startsWith(start) ? channel.substring(start.length()) : null;
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
