package dev.switchboard.server.cluster;

import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.registry.ConnectionRegistry;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The node's view of the other nodes: {@link Routes} and {@link Broker}, picked by
 * {@code cluster.mode} — {@code single} (no other nodes, nothing to set up) or {@code redis}.
 * The only place that chooses between them.
 */
public final class Cluster implements AutoCloseable {
    private final Routes routes;
    private final Broker broker;
    private final RedisConnections redis;

    private Cluster(Routes routes, Broker broker, RedisConnections redis) {
        this.routes = routes;
        this.broker = broker;
        this.redis = redis;
    }

    public static Cluster create(ServerConfig.Cluster config, ConnectionRegistry registry) {
        return switch (config.mode()) {
            case "single" -> new Cluster(new LocalRoutes(registry), null, null);
            case "redis" -> {
                String nodeId = config.nodeId() == null || config.nodeId().isBlank()
                        ? "node-" + UUID.randomUUID().toString().substring(0, 8) : config.nodeId();
                RedisConnections redis = new RedisConnections(config.redisUri());
                RedisKeys keys = new RedisKeys(config.keyPrefix());
                RedisRoutes routes = new RedisRoutes(redis, keys, nodeId, registry,
                        config.routeTtlMillis(), config.refreshIntervalMillis());
                routes.start();
                yield new Cluster(routes, new RedisBroker(redis, keys), redis);
            }
            default -> throw new IllegalArgumentException("cluster.mode must be single or redis, not " + config.mode());
        };
    }

    public Routes routes() {
        return routes;
    }

    /** The broker, or null for a single node. */
    public Broker broker() {
        return broker;
    }

    public String nodeId() {
        return routes.nodeId();
    }

    /** Readiness of each cluster component (empty for a single node). */
    public Map<String, Boolean> health() {
        Map<String, Boolean> health = new LinkedHashMap<>();
        if (redis != null) {
            health.put("redis", routes.isHealthy());
            health.put("subscription", broker.isSubscribed());
        }
        return health;
    }

    @Override
    public void close() {
        routes.close();
        if (broker != null) {
            broker.close();
        }
        if (redis != null) {
            redis.close();
        }
    }
}
