package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.SwitchboardServer;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.testing.RedisProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that fails after it has reached Redis (here: a typo in {@code server.trustedProxies}, read
 * after the cluster started) leaves nothing behind: not its node entry in Redis, which would list a
 * node that never ran until the entry expired, nor the route refresher's thread, nor the subscriber
 * connections Redis counts as clients. Against a private redis-server, so "nothing" can be checked as
 * an empty database.
 */
class FailedClusterStartIT {
    @TempDir
    Path directory;
    private RedisProcess redis;
    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisProcess.start(directory.resolve("redis"));
        client = RedisClient.create(redis.uri());
        connection = client.connect();
    }

    @AfterEach
    void stopRedis() {
        if (client != null) {
            client.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @Test
    void aNodeThatFailsAfterReachingRedis_removesItsNodeEntry_andStopsItsThreadsAndConnections() {
        ServerConfig config = new ConfigLoader().load(null, Map.of(), Map.of(
                "server.port", 0, "api.port", -1, "server.dataDirectory", directory.resolve("data").toString(),
                "auth.devMode", true, "cluster.mode", "redis", "cluster.redisUri", redis.uri(),
                "cluster.nodeId", "failing-node", "server.trustedProxies", List.of("10.0.0.0/99")));
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
        long clientsBefore = connectedClients();

        assertThatThrownBy(() -> new SwitchboardServer(config))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server.trustedProxies");

        assertThat(connection.sync().keys("*")).isEmpty(); // removed before the constructor threw, not by expiry
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(connectedClients()).isEqualTo(clientsBefore);
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(thread -> !before.contains(thread))
                    .filteredOn(Thread::isAlive)
                    .extracting(Thread::getName)
                    .noneMatch(name -> name.equals("routes-refresh") || name.equals("store-writer")
                            || name.startsWith("multiThreadIoEventLoopGroup"));
        });
    }

    private long connectedClients() {
        String info = connection.sync().info("clients");
        return info.lines().filter(line -> line.startsWith("connected_clients:"))
                .mapToLong(line -> Long.parseLong(line.substring("connected_clients:".length()).trim()))
                .findFirst().orElseThrow();
    }
}
