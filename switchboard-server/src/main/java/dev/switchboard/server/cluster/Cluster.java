package dev.switchboard.server.cluster;

import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.topic.MemoryTopicEngine;
import dev.switchboard.server.topic.TopicEngine;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * The node's view of the other nodes: {@link Routes}, {@link Broker}, the {@link TopicEngine}, the
 * {@link ControlBus} and the {@link NodeDirectory}, picked by {@code cluster.mode} — {@code single}
 * (no other nodes, nothing to set up), {@code redis} (a Redis, or Sentinel's master) or
 * {@code redis-cluster} (a Redis Cluster). The only place that chooses between them.
 */
public final class Cluster implements AutoCloseable {
    private final Routes routes;
    private final Broker broker;
    private final RemoteDelivery remoteDelivery;
    private final TopicEngine topics;
    private final ControlBus control;
    private final NodeDirectory nodes;
    private final RedisConnections redis;

    private Cluster(Routes routes, Broker broker, RemoteDelivery remoteDelivery, TopicEngine topics, ControlBus control,
                    NodeDirectory nodes, RedisConnections redis) {
        this.routes = routes;
        this.broker = broker;
        this.remoteDelivery = remoteDelivery;
        this.topics = topics;
        this.control = control;
        this.nodes = nodes;
        this.redis = redis;
    }

    /**
     * @param topicTtlMillis how long a topic's stream outlives its last publication
     * @param metrics        where Redis latencies and errors are counted
     * @param loops          the node's I/O loops, which carry the Redis connections too
     */
    public static Cluster create(ServerConfig.Cluster config, ConnectionRegistry registry, long topicTtlMillis,
                                 ServerMetrics metrics, SharedEventLoops loops) {
        return switch (config.mode()) {
            case "single" -> new Cluster(new LocalRoutes(registry), null, null, new MemoryTopicEngine(topicTtlMillis),
                    new LocalControlBus(), new LocalNodeDirectory(), null);
            case "redis", "redis-cluster" -> {
                String nodeId = config.nodeId() == null || config.nodeId().isBlank()
                        ? "node-" + UUID.randomUUID().toString().substring(0, 8) : config.nodeId();
                // Named after the node on a Redis Cluster only: a single Redis's connections stay as they were.
                boolean clustered = config.mode().equals("redis-cluster");
                RedisConnections redis = new RedisConnections(config.redisUri(), clustered, clustered ? nodeId : null, metrics, loops);
                RedisKeys keys = new RedisKeys(config.keyPrefix(), redis.isCluster());
                RedisRoutes routes = new RedisRoutes(redis, keys, nodeId, registry,
                        config.routeTtlMillis(), config.refreshIntervalMillis());
                routes.start();
                RedisBroker broker = new RedisBroker(redis, keys);
                RemoteDelivery delivery = new RedisDelivery(redis, keys, nodeId, new RoutedDelivery(routes, broker));
                yield new Cluster(routes, broker, delivery, new RedisTopicEngine(redis, keys, topicTtlMillis),
                        new RedisControlBus(redis, keys), new RedisNodeDirectory(redis, keys), redis);
            }
            default -> throw new IllegalArgumentException("cluster.mode must be single, redis or redis-cluster, not " + config.mode());
        };
    }

    public Routes routes() {
        return routes;
    }

    /** The broker, or null for a single node. */
    public Broker broker() {
        return broker;
    }

    /** How messages reach the other nodes, or null for a single node. */
    public RemoteDelivery remoteDelivery() {
        return remoteDelivery;
    }

    public TopicEngine topics() {
        return topics;
    }

    public ControlBus control() {
        return control;
    }

    public NodeDirectory nodes() {
        return nodes;
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
        topics.close();
        if (broker != null) {
            broker.close();
        }
        if (redis != null) {
            redis.close();
        }
    }
}
