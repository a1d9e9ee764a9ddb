package dev.switchboard.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Switchboard under test: one node with its embedded store, or several nodes in cluster mode over
 * Redis and a MariaDB database created for the run (and dropped after it).
 */
final class SwitchboardTarget implements Target {
    static final String JWT_SECRET = "benchmark-secret-benchmark-secret-0123456789";
    static final String API_KEY = "bench-api-key";
    private static final Pattern LISTENING = Pattern.compile("Switchboard listening on http://[^:]+:(\\d+)/");
    private static final Pattern API_LISTENING = Pattern.compile("Switchboard API listening on http://[^:]+:(\\d+)/");

    private final List<Proc> nodes;
    private final List<Integer> ports;
    private final List<Integer> apiPorts;
    private final String database;

    private SwitchboardTarget(List<Proc> nodes, List<Integer> ports, List<Integer> apiPorts, String database) {
        this.nodes = nodes;
        this.ports = ports;
        this.apiPorts = apiPorts;
        this.database = database;
    }

    /** One node, embedded SQLite store. */
    static SwitchboardTarget single(HarnessOptions options, String jvmOptions, Path work)
            throws IOException, InterruptedException {
        return start(jvmOptions, options, work, 1, null, Map.of());
    }

    /** {@code count} nodes over Redis (or a Redis Cluster) and a fresh MariaDB database. */
    static SwitchboardTarget cluster(HarnessOptions options, String jvmOptions, Path work, int count)
            throws IOException, InterruptedException {
        String database = "switchboard_bench_" + UUID.randomUUID().toString().substring(0, 8);
        mariadb("CREATE DATABASE " + database);
        String prefix = "switchboard-bench-" + database.substring(database.length() - 8);
        Map<String, String> environment = new LinkedHashMap<>();
        environment.put("SWITCHBOARD_CLUSTER_MODE", options.redisCluster ? "redis-cluster" : "redis");
        environment.put("SWITCHBOARD_CLUSTER_REDIS_URI", options.redisUri);
        environment.put("SWITCHBOARD_CLUSTER_KEY_PREFIX", prefix);
        environment.put("SWITCHBOARD_STORE_URL", options.mariadbUrl + database);
        environment.put("SWITCHBOARD_STORE_USERNAME", "root");
        return start(jvmOptions, options, work, count, database, environment);
    }

    private static SwitchboardTarget start(String jvmOptions, HarnessOptions options, Path work, int count, String database,
                                           Map<String, String> environment) throws IOException, InterruptedException {
        Path config = work.resolve("switchboard-bench.yml");
        Files.writeString(config, """
                # Written by the benchmark harness: limits raised so the load, not a rate limit, is measured.
                server:
                  maxConnections: 19000
                  ioThreads: %d
                auth:
                  devMode: true
                  jwtSecret: "%s"
                limits:
                  sendsPerSecond: 1000000
                  sendBurst: 1000000
                  requestsPerSecond: 1000000
                  requestBurst: 1000000
                  maxGroupMembers: 5000
                  outboundQueueBytes: 16777216
                topics:
                  rules:
                    - pattern: "*"
                      subscribe: true
                      publish: true
                      historySize: 0
                api:
                  keys: ["%s"]
                """.formatted(options.serverIoThreads, JWT_SECRET, API_KEY));
        List<Proc> nodes = new ArrayList<>();
        List<Integer> ports = new ArrayList<>();
        List<Integer> apiPorts = new ArrayList<>();
        try {
            for (int i = 0; i < count; i++) {
                List<String> command = new ArrayList<>();
                command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
                command.addAll(Arrays.asList(jvmOptions.trim().split("\\s+")));
                command.addAll(List.of("-jar", options.serverJar.toString(), "--config", config.toString(),
                        "--port", "0", "--api-port", "0", "--data-dir", work.resolve("node" + i).toString()));
                Map<String, String> nodeEnvironment = new LinkedHashMap<>(environment);
                // The per-user send limit is raised like the file's limits (raised, not off: its cost per
                // send is measured as production pays it), but here: a server jar from before the setting
                // existed (an A/B run with --server-jar) warns about an unknown variable, where an unknown
                // key in its file would stop it.
                nodeEnvironment.put("SWITCHBOARD_LIMITS_USER_SENDS_PER_SECOND", "1000000");
                nodeEnvironment.put("SWITCHBOARD_LIMITS_USER_SEND_BURST", "1000000");
                if (!environment.isEmpty()) {
                    nodeEnvironment.put("SWITCHBOARD_CLUSTER_NODE_ID", "bench-node-" + i);
                }
                Proc node = new Proc("switchboard-" + i, command, nodeEnvironment, work.resolve("switchboard-" + i + ".log"));
                nodes.add(node);
                ports.add(Integer.parseInt(node.awaitLine(LISTENING, 60).group(1)));
                apiPorts.add(Integer.parseInt(node.awaitLine(API_LISTENING, 10).group(1)));
            }
        } catch (RuntimeException | IOException | InterruptedException e) {
            nodes.forEach(Proc::close);
            throw e;
        }
        return new SwitchboardTarget(nodes, ports, apiPorts, database);
    }

    /** Runs one statement as MariaDB's root over the local socket or 127.0.0.1. */
    static void mariadb(String statement) throws IOException, InterruptedException {
        Process process = new ProcessBuilder("mariadb", "-uroot", "-h127.0.0.1", "-e", statement)
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IOException("mariadb: " + statement + ": " + output);
        }
    }

    /** {@code jcmd <pid> GC.run} on every node (G1 then also returns free heap to the OS). */
    @Override
    public void collectGarbage() throws IOException, InterruptedException {
        for (Proc node : nodes) {
            Jcmd.collectGarbage(node.pid());
        }
    }

    /** The live heap of every node after a full collection, summed; -1 if any could not be read. */
    @Override
    public long liveHeapBytes() throws IOException, InterruptedException {
        long total = 0;
        for (Proc node : nodes) {
            long live = Jcmd.liveHeapBytes(node.pid());
            if (live < 0) {
                return -1;
            }
            total += live;
        }
        return total;
    }

    List<Integer> apiPorts() {
        return apiPorts;
    }

    @Override
    public String name() {
        return "switchboard";
    }

    @Override
    public String dialect() {
        return "switchboard";
    }

    @Override
    public List<Integer> ports() {
        return ports;
    }

    @Override
    public List<Long> pids() {
        return nodes.stream().map(Proc::pid).toList();
    }

    @Override
    public long rssKilobytes() throws IOException {
        long total = 0;
        for (Proc node : nodes) {
            total += node.rssKilobytes();
        }
        return total;
    }

    @Override
    public void close() {
        nodes.forEach(Proc::close);
        if (database != null) {
            try {
                mariadb("DROP DATABASE IF EXISTS " + database);
            } catch (IOException | InterruptedException e) {
                System.err.println("could not drop " + database + ": " + e.getMessage());
            }
        }
    }
}
