package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.SwitchboardServer;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A node that cannot start (here: its Redis is not there) throws from its constructor and leaves no
 * event-loop or store-writer thread behind: those threads are not daemons, and would keep an
 * embedding program's JVM alive after its server failed to start. Nor Redis client threads, whose
 * connection attempt would otherwise time out a minute later on loops already shut down.
 */
class FailedStartTest {
    @TempDir
    Path dataDirectory;

    @Test
    void aNodeWhoseRedisIsAbsentFailsToStart_andStopsTheThreadsItStarted() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort(); // nothing listens there once closed
        }
        ServerConfig config = new ConfigLoader().load(null, Map.of(), Map.of(
                "server.port", 0, "api.port", -1, "server.dataDirectory", dataDirectory.toString(),
                "auth.devMode", true, "cluster.mode", "redis", "cluster.redisUri", "redis://127.0.0.1:" + closedPort));

        assertFailsToStart_andStopsTheThreadsItStarted(config);
    }

    @Test
    void aNodeWithAMalformedRedisUriFailsToStart_andStopsTheThreadsItStarted() throws Exception {
        ServerConfig config = new ConfigLoader().load(null, Map.of(), Map.of(
                "server.port", 0, "api.port", -1, "server.dataDirectory", dataDirectory.toString(),
                "auth.devMode", true, "cluster.mode", "redis", "cluster.redisUri", "redis//127.0.0.1"));

        assertFailsToStart_andStopsTheThreadsItStarted(config);
    }

    private static void assertFailsToStart_andStopsTheThreadsItStarted(ServerConfig config) {
        Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());

        assertThatThrownBy(() -> new SwitchboardServer(config)).isInstanceOf(RuntimeException.class);

        await().atMost(Duration.ofSeconds(10)).until(() -> Thread.getAllStackTraces().keySet().stream()
                .filter(thread -> !before.contains(thread))
                .noneMatch(thread -> thread.isAlive() && (thread.getName().startsWith("multiThreadIoEventLoopGroup")
                        || thread.getName().equals("store-writer") || thread.getName().startsWith("lettuce-"))));
    }
}
