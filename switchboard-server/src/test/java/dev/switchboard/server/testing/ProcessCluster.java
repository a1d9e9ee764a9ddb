package dev.switchboard.server.testing;

import static org.awaitility.Awaitility.await;

import dev.switchboard.server.store.TestDatabase;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A whole cluster of real processes for one test: N node JVMs ({@link ChildServer}, cluster.mode=redis)
 * behind a real nginx ({@link NginxProcess}, the production template), over a private redis-server
 * ({@link RedisProcess}) and a fresh MariaDB database ({@link TestDatabase}). Nodes can be stopped
 * gracefully, killed and started again on their port. {@link #close()} kills everything and drops the
 * database, whatever state the test left it in. Logs stay in the log directory.
 */
public final class ProcessCluster implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProcessCluster.class);
    private static final Pattern CONNECTIONS = Pattern.compile("\"connections\":(\\d+)");
    /** Production logging (INFO, text) instead of the test class path's logback-test.xml; small, frugal JVMs. */
    private static final List<String> NODE_JVM_OPTIONS = List.of(
            "-Dlogback.configurationFile=logback.xml", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    private final Path workDirectory;
    private final Path logDirectory;
    private final TestDatabase database;
    private final String keyPrefix = "switchboard-it-" + UUID.randomUUID().toString().substring(0, 8);
    private final List<ChildServer> nodes = new ArrayList<>();
    private final List<Integer> ports = new ArrayList<>();
    private RedisProcess redis;
    private NginxProcess nginx;

    /** The state of one node as its /health/ready says. */
    public record NodeHealth(boolean ready, int connections, String body) {
    }

    private ProcessCluster(Path workDirectory, Path logDirectory, TestDatabase database) {
        this.workDirectory = workDirectory;
        this.logDirectory = logDirectory;
        this.database = database;
    }

    /**
     * Starts redis-server, {@code nodeCount} nodes (waits until each is ready) and nginx.
     *
     * @param workDirectory node data directories
     * @param logDirectory  node logs, nginx prefix and Redis directory (kept for post-mortems)
     */
    public static ProcessCluster start(Path workDirectory, Path logDirectory, int nodeCount) throws Exception {
        NginxProcess.requireInstalled();
        ChildProcesses.requireBinary("redis-server", "apt-get install redis-server");
        Files.createDirectories(logDirectory);
        ProcessCluster cluster = new ProcessCluster(workDirectory, logDirectory, TestDatabase.mariadb());
        try {
            cluster.redis = RedisProcess.start(logDirectory.resolve("redis"));
            for (int index = 0; index < nodeCount; index++) {
                cluster.nodes.add(null);
                cluster.ports.add(0);
                cluster.startNode(index);
            }
            for (int index = 0; index < nodeCount; index++) {
                cluster.awaitReady(index, Duration.ofSeconds(60));
            }
            cluster.nginx = NginxProcess.start(logDirectory.resolve("nginx"), cluster.ports);
            log.info("cluster up: nginx :{}, nodes {}, redis :{}, database {}", cluster.nginx.port(), cluster.ports,
                    cluster.redis.port(), cluster.database.url());
            return cluster;
        } catch (Exception | Error e) {
            cluster.close();
            throw e;
        }
    }

    /** The balanced WebSocket endpoint (through nginx). */
    public URI webSocketUri() {
        return nginx.webSocketUri();
    }

    public int nodeCount() {
        return nodes.size();
    }

    public ChildServer node(int index) {
        return nodes.get(index);
    }

    public int port(int index) {
        return ports.get(index);
    }

    public RedisProcess redis() {
        return redis;
    }

    /** Starts node {@code index} (again) on its port (any free port the first time); returns when it listens. */
    public void startNode(int index) throws IOException {
        ChildServer current = nodes.get(index);
        if (current != null && current.isAlive()) {
            throw new IllegalStateException("node " + index + " is still running");
        }
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("SWITCHBOARD_CLUSTER_MODE", "redis");
        environment.put("SWITCHBOARD_CLUSTER_NODE_ID", "node-" + (index + 1));
        environment.put("SWITCHBOARD_CLUSTER_KEY_PREFIX", keyPrefix);
        environment.put("SWITCHBOARD_CLUSTER_REDIS_URI", redis.uri());
        environment.put("SWITCHBOARD_STORE_URL", database.url());
        environment.put("SWITCHBOARD_LOG_LEVEL", "INFO");
        Path dataDirectory = Files.createDirectories(workDirectory.resolve("node-" + (index + 1)));
        ChildServer node = ChildServer.start(dataDirectory, ports.get(index), environment, NODE_JVM_OPTIONS,
                logDirectory.resolve("node-" + (index + 1) + ".log"));
        nodes.set(index, node);
        ports.set(index, node.port());
    }

    /** /health/ready of node {@code index}, or null when it does not answer. */
    public NodeHealth health(int index) {
        try {
            RawWebSocket.HttpAnswer answer = RawWebSocket.httpGet(ports.get(index), "/health/ready");
            Matcher connections = CONNECTIONS.matcher(answer.body());
            return new NodeHealth(answer.status() == 200, connections.find() ? Integer.parseInt(connections.group(1)) : 0,
                    answer.body());
        } catch (IOException e) {
            return null;
        }
    }

    public boolean isReady(int index) {
        NodeHealth health = health(index);
        return health != null && health.ready();
    }

    public void awaitReady(int index, Duration timeout) {
        await("node-" + (index + 1) + " ready").atMost(timeout).pollInterval(Duration.ofMillis(200))
                .until(() -> isReady(index));
    }

    /** WebSocket connections per node (0 for a node that does not answer). */
    public List<Integer> connectionsPerNode() {
        List<Integer> connections = new ArrayList<>();
        for (int index = 0; index < nodes.size(); index++) {
            NodeHealth health = health(index);
            connections.add(health == null ? 0 : health.connections());
        }
        return connections;
    }

    /** Index of the node with the most connections. */
    public int busiestNode() {
        List<Integer> connections = connectionsPerNode();
        int busiest = 0;
        for (int index = 1; index < connections.size(); index++) {
            if (connections.get(index) > connections.get(busiest)) {
                busiest = index;
            }
        }
        return busiest;
    }

    public Path logDirectory() {
        return logDirectory;
    }

    /** nginx's error log so far. */
    public String nginxErrorLog() {
        return nginx == null ? "" : nginx.errorLog();
    }

    @Override
    public void close() {
        List<Exception> failures = new ArrayList<>();
        run(failures, () -> {
            if (nginx != null) {
                nginx.close();
            }
        });
        for (ChildServer node : nodes) {
            run(failures, () -> {
                if (node != null) {
                    node.kill();
                }
            });
        }
        run(failures, () -> {
            if (redis != null) {
                redis.close();
            }
        });
        run(failures, database::close);
        if (!failures.isEmpty()) {
            log.warn("cluster teardown had {} failure(s); first: {}", failures.size(), failures.get(0).toString());
        }
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void run(List<Exception> failures, Step step) {
        try {
            step.run();
        } catch (Exception e) {
            failures.add(e);
        }
    }
}
