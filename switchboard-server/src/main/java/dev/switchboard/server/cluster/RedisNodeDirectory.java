package dev.switchboard.server.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * {@link NodeDirectory} in one Redis hash (node id → stats JSON). Entries of nodes that stopped
 * reporting are ignored after {@link #STALE_MILLIS} and removed by the next reader.
 */
final class RedisNodeDirectory implements NodeDirectory {
    static final long STALE_MILLIS = 10_000;
    private static final long HASH_TTL_MILLIS = 60_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RedisConnections redis;
    private final RedisKeys keys;

    RedisNodeDirectory(RedisConnections redis, RedisKeys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public void publish(NodeStats stats) {
        try {
            redis.async().hset(keys.nodeStats(), stats.nodeId(), JSON.writeValueAsBytes(stats));
            redis.async().pexpire(keys.nodeStats(), HASH_TTL_MILLIS); // gone once every node has stopped
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public CompletableFuture<List<NodeStats>> nodes() {
        return redis.async().hgetall(keys.nodeStats()).toCompletableFuture().thenApply(all -> {
            long cutoff = System.currentTimeMillis() - STALE_MILLIS;
            List<NodeStats> nodes = new ArrayList<>();
            all.forEach((nodeId, json) -> {
                NodeStats stats;
                try {
                    stats = JSON.readValue(json, NodeStats.class);
                } catch (IOException e) {
                    stats = null;
                }
                if (stats != null && stats.updatedAt() >= cutoff) {
                    nodes.add(stats);
                } else {
                    redis.async().hdel(keys.nodeStats(), nodeId);
                }
            });
            nodes.sort(Comparator.comparing(NodeStats::nodeId));
            return nodes;
        });
    }
}
