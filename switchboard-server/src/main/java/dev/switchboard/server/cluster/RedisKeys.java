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
        return prefix + ":deliver:" + nodeId;
    }
}
