package dev.switchboard.server.cluster;

import dev.switchboard.server.registry.ConnectionRegistry;
import io.lettuce.core.SetArgs;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Routes} in Redis. Each user has a hash {@code routes:{user}} of node id → expiry time;
 * each node keeps a heartbeat key {@code node:{id}} with a TTL. A node that dies stops refreshing:
 * its route fields are ignored once their expiry passes, and the keys expire by themselves.
 *
 * @implNote Refresh strategy. Rejected: refreshing a user's route on every message or heartbeat
 * (Redis traffic proportional to activity). Rejected: one key per (user, node) with its own TTL
 * (finding a user's nodes would need a scan). Adopted: one maintenance thread re-announces every
 * user connected here once per refresh interval, with ±20% jitter so restarted nodes don't refresh
 * in lockstep, as pipelined {@code HSET}+{@code PEXPIRE} pairs — cost proportional to connected
 * users, independent of traffic. Lookups for a group are one pipelined {@code HGETALL} per member,
 * answered in a single round trip.
 */
public final class RedisRoutes implements Routes {
    private static final Logger log = LoggerFactory.getLogger(RedisRoutes.class);
    private static final long RESTORE_RETRY_MILLIS = 500;

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final String nodeId;
    private final ConnectionRegistry registry;
    private final long routeTtlMillis;
    private final long refreshIntervalMillis;
    private final ScheduledExecutorService maintenance;
    private volatile boolean restoring;

    RedisRoutes(RedisConnections redis, RedisKeys keys, String nodeId, ConnectionRegistry registry,
                long routeTtlMillis, long refreshIntervalMillis) {
        this.redis = redis;
        this.keys = keys;
        this.nodeId = nodeId;
        this.registry = registry;
        this.routeTtlMillis = routeTtlMillis;
        this.refreshIntervalMillis = refreshIntervalMillis;
        this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "routes-refresh");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Announces the node and starts the periodic refresh. */
    void start() {
        heartbeat();
        scheduleRefresh();
    }

    private void scheduleRefresh() {
        long jitter = refreshIntervalMillis / 5;
        long delay = refreshIntervalMillis + ThreadLocalRandom.current().nextLong(-jitter, jitter + 1);
        maintenance.schedule(() -> {
            try {
                refreshNow();
            } finally {
                scheduleRefresh();
            }
        }, delay, TimeUnit.MILLISECONDS);
    }

    private CompletableFuture<?> heartbeat() {
        return redis.async().set(keys.node(nodeId),
                Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.US_ASCII),
                SetArgs.Builder.px(routeTtlMillis)).toCompletableFuture();
    }

    /** Heartbeat plus every local user's route; completes when Redis has acknowledged all of it. */
    private CompletableFuture<Void> refreshNow() {
        List<CompletableFuture<?>> replies = new ArrayList<>();
        replies.add(heartbeat());
        List<String> users = registry.userIds();
        for (String userId : users) {
            replies.add(announce(userId));
        }
        log.atDebug().setMessage("routes refreshed").addKeyValue("users", users.size()).log();
        return CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new));
    }

    @Override
    public CompletableFuture<Void> restore() {
        restoring = true;
        CompletableFuture<Void> restored = new CompletableFuture<>();
        attemptRestore(restored);
        return restored;
    }

    /**
     * The pub/sub and command connections reconnect independently: announcing while the command
     * connection is still down is refused at once, so this retries until every route is acknowledged.
     */
    private void attemptRestore(CompletableFuture<Void> restored) {
        refreshNow().whenComplete((ignored, error) -> {
            if (error == null) {
                restoring = false;
                log.info("routes restored in redis");
                restored.complete(null);
            } else if (!maintenance.isShutdown()) {
                log.atDebug().setMessage("routes not restored yet, retrying").addKeyValue("error", error.toString()).log();
                maintenance.schedule(() -> attemptRestore(restored), RESTORE_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            }
        });
    }

    @Override
    public String nodeId() {
        return nodeId;
    }

    @Override
    public void userConnected(String userId) {
        announce(userId);
    }

    private CompletableFuture<Void> announce(String userId) {
        RedisClusterAsyncCommands<String, byte[]> commands = redis.async();
        byte[] expiry = Long.toString(System.currentTimeMillis() + routeTtlMillis).getBytes(StandardCharsets.US_ASCII);
        return CompletableFuture.allOf(redis.timed(commands.hset(keys.routes(userId), nodeId, expiry)),
                redis.timed(commands.pexpire(keys.routes(userId), routeTtlMillis)));
    }

    @Override
    public void userDisconnected(String userId) {
        if (registry.connectionsOf(userId).isEmpty()) {
            redis.async().hdel(keys.routes(userId), nodeId).thenRun(() -> {
                // A new connection may have announced the user while the HDEL was on its way.
                if (!registry.connectionsOf(userId).isEmpty()) {
                    announce(userId);
                }
            });
        }
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> remoteNodesOf(Collection<String> userIds) {
        return liveRoutes(userIds).thenApply(routes -> {
            Map<String, List<String>> byNode = new HashMap<>();
            routes.forEach((userId, nodes) -> {
                for (String node : nodes) {
                    if (!node.equals(nodeId)) {
                        byNode.computeIfAbsent(node, ignored -> new ArrayList<>()).add(userId);
                    }
                }
            });
            return byNode;
        });
    }

    @Override
    public CompletableFuture<Map<String, Boolean>> online(Collection<String> userIds) {
        return liveRoutes(userIds).thenApply(routes -> {
            Map<String, Boolean> online = new LinkedHashMap<>();
            for (String userId : userIds) {
                online.put(userId, !routes.get(userId).isEmpty() || !registry.connectionsOf(userId).isEmpty());
            }
            return online;
        });
    }

    /** user → nodes whose route has not expired, from one pipelined round of HGETALLs. */
    private CompletableFuture<Map<String, List<String>>> liveRoutes(Collection<String> userIds) {
        RedisClusterAsyncCommands<String, byte[]> commands = redis.async();
        long now = System.currentTimeMillis();
        Map<String, CompletableFuture<Map<String, byte[]>>> lookups = new LinkedHashMap<>();
        for (String userId : userIds) {
            lookups.put(userId, redis.timed(commands.hgetall(keys.routes(userId))));
        }
        return CompletableFuture.allOf(lookups.values().toArray(CompletableFuture[]::new)).thenApply(ignored -> {
            Map<String, List<String>> routes = new LinkedHashMap<>();
            lookups.forEach((userId, lookup) -> {
                List<String> nodes = new ArrayList<>(2);
                lookup.join().forEach((node, expiry) -> {
                    if (parseLong(expiry) > now) {
                        nodes.add(node);
                    }
                });
                routes.put(userId, nodes);
            });
            return routes;
        });
    }

    private static long parseLong(byte[] value) {
        try {
            return Long.parseLong(new String(value, StandardCharsets.US_ASCII));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Redis answers and, after a Redis restart, this node's routes are back (not ready before). */
    @Override
    public boolean isHealthy() {
        return redis.isConnected() && !restoring;
    }

    @Override
    public void close() {
        maintenance.shutdownNow();
        try {
            RedisClusterAsyncCommands<String, byte[]> commands = redis.async();
            List<CompletableFuture<?>> removals = new ArrayList<>();
            for (String userId : registry.userIds()) {
                removals.add(commands.hdel(keys.routes(userId), nodeId).toCompletableFuture());
            }
            removals.add(commands.del(keys.node(nodeId)).toCompletableFuture());
            CompletableFuture.allOf(removals.toArray(CompletableFuture[]::new)).get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.atWarn().setMessage("could not remove this node's routes; they expire by themselves")
                    .addKeyValue("error", e.toString()).log();
        }
    }
}
