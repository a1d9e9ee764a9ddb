package dev.switchboard.bench.harness;

import java.nio.file.Path;
import picocli.CommandLine.Option;

/** What {@code run} measures and where it writes; sizes shrink to seconds with {@code --smoke}. */
public final class HarnessOptions {
    @Option(names = "--scenarios", defaultValue = "disk,idle,handshake,latency,fanout,group,throughput,cluster",
            split = ",", description = "disk, idle, handshake, latency, fanout, group, throughput, cluster, scale (default: all but scale)")
    public java.util.List<String> scenarios;

    @Option(names = "--targets", defaultValue = "switchboard,bun,ws,socketio,netty", split = ",",
            description = "switchboard, bun, ws, socketio, netty (bun, ws and socketio need `npm ci` in bench/peers;"
                    + " netty is this module's bare Netty server)")
    public java.util.List<String> targets;

    @Option(names = "--smoke", description = "tiny sizes, a few seconds per scenario: checks that everything runs (CI)")
    public boolean smoke;

    @Option(names = "--out", defaultValue = "bench/results/latest", description = "results.json, report.md and charts go here")
    public Path out;

    @Option(names = "--publish", description = "also write docs/BENCHMARKS.md and its charts under docs/benchmarks/")
    public boolean publish;

    @Option(names = "--server-jar", defaultValue = "switchboard-server/target/switchboard.jar")
    public Path serverJar;

    @Option(names = "--peers-dir", defaultValue = "bench/peers")
    public Path peersDirectory;

    /*
     * Transparent huge pages (madvise) for the heap and the code cache, as docs/OPERATIONS.md advises
     * under "Latency tails". The AMD benchmark machines are virtual machines whose kernel samples page
     * accesses every 0.5 s (DAMON); after each sample Switchboard's event loop ran 1-3 ms without a
     * break, at 4 kB pages. With 2 MB pages those stretches were shorter and fewer, the loop's CPU fell
     * by about 15% and the topic path's p99 by about 40% (bench/analysis.md).
     * Netty's sampled leak detection off, as docs/OPERATIONS.md also advises: at its default level it
     * records a stack trace for one buffer in 128, and in six alternating pairs of topic latency runs
     * the p99 was lower without it in all six (0.35-0.44 ms against 0.37-0.74 ms). The unit tests
     * run Netty's paranoid level, which tracks every buffer.
     */
    @Option(names = "--server-jvm-options", defaultValue = "-Xmx2g -XX:+UseTransparentHugePages -Dio.netty.leakDetection.level=disabled",
            description = "JVM options of the Switchboard nodes (and of the bare Netty peer) under load (every scenario but idle and scale)")
    public String serverJvmOptions;

    @Option(names = "--server-io-threads", defaultValue = "1",
            description = "Switchboard's event-loop threads (server.ioThreads), and the Netty peer's: one, like each"
                    + " other peer's single event loop, so the load generator keeps the other core")
    public int serverIoThreads;

    @Option(names = "--memory-jvm-options", defaultValue = "-Xms32m -Xmx2g -XX:MinHeapFreeRatio=5 -XX:MaxHeapFreeRatio=10",
            description = "JVM options of the Switchboard nodes (and of the bare Netty peer) whose memory is measured (idle, scale): the heap"
                    + " gives freed memory back at once, so the RSS follows the connections")
    public String memoryJvmOptions;

    @Option(names = "--idle-connections", defaultValue = "16000", description = "idle: connections at the second measurement (the first is a quarter of it)")
    public int idleConnections;

    @Option(names = "--idle-rounds", defaultValue = "5", description = "idle: rounds measured; the median is reported")
    public int idleRounds;

    @Option(names = "--scale-connections", defaultValue = "102000", description = "scale: connections across the gateway nodes")
    public int scaleConnections;

    @Option(names = "--scale-nodes", defaultValue = "6")
    public int scaleNodes;

    @Option(names = "--warmup-seconds", defaultValue = "20", description = "unmeasured seconds before every measured run")
    public int warmupSeconds;

    @Option(names = "--latency-warmup-seconds", defaultValue = "45",
            description = "1:1 latency: unmeasured seconds before the first window; longer than the server's"
                    + " first keep-alive round (pings after 30 s without inbound traffic), which makes the JIT recompile"
                    + " the write path once")
    public int latencyWarmupSeconds;

    @Option(names = "--seconds", defaultValue = "15", description = "measured seconds per run")
    public int seconds;

    @Option(names = "--fanout-subscribers", defaultValue = "1000")
    public int fanoutSubscribers;

    @Option(names = "--latency-rate", defaultValue = "1000", description = "1:1 latency: messages per second")
    public int latencyRate;

    @Option(names = "--latency-rounds", defaultValue = "3",
            description = "1:1 latency: consecutive measured windows of --seconds; the one with the median p99 is reported")
    public int latencyRounds;

    @Option(names = "--throughput-window", defaultValue = "16",
            description = "durable throughput: unacknowledged sends per sender (200 senders); enough to keep the"
                    + " server's store writer busy, so the figure is the server's and not the generator's")
    public int throughputWindow;

    @Option(names = "--mariadb-url", defaultValue = "jdbc:mariadb://127.0.0.1:3306/",
            description = "cluster scenarios: the MariaDB server (a database is created per run)")
    public String mariadbUrl;

    @Option(names = "--redis-uri", defaultValue = "redis://127.0.0.1:6379",
            description = "cluster scenarios: the Redis; with --redis-cluster some nodes of a Redis Cluster"
                    + " (redis://host1:port1,host2:port2)")
    public String redisUri;

    @Option(names = "--redis-cluster",
            description = "cluster scenarios: --redis-uri names a Redis Cluster (cluster.mode: redis-cluster)")
    public boolean redisCluster;
}
