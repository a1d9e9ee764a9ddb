package dev.switchboard.bench.load;

import picocli.CommandLine.Option;

/** A worker's assignment, given on its command line by the harness. */
public final class WorkerOptions {
    @Option(names = "--role", required = true, description = "hold | handshake | latency | fanout | throughput")
    public String role;
    @Option(names = "--dialect", defaultValue = "switchboard", description = "switchboard | plain | socketio")
    public String dialect;
    @Option(names = "--host", defaultValue = "127.0.0.1")
    public String host;
    @Option(names = "--port", required = true)
    public int port;
    @Option(names = "--receiver-port", defaultValue = "0", description = "latency, throughput: receivers on another node (cluster hop)")
    public int receiverPort;
    @Option(names = "--cross-receiver-port", defaultValue = "0",
            description = "latency: every other pair's receiver on this node instead, measured in the same windows (cluster hop)")
    public int crossReceiverPort;
    @Option(names = "--sources", defaultValue = "127.0.0.1", description = "comma-separated source addresses")
    public String sources;
    @Option(names = "--threads", defaultValue = "2")
    public int threads;
    @Option(names = "--prefix", defaultValue = "u")
    public String prefix;
    @Option(names = "--first", defaultValue = "0")
    public int first;
    @Option(names = "--count", defaultValue = "1")
    public int count;
    @Option(names = "--seconds", defaultValue = "10")
    public int seconds;
    @Option(names = "--warmup-seconds", defaultValue = "2")
    public int warmupSeconds;
    @Option(names = "--rate", defaultValue = "1000", description = "latency: messages per second, all pairs together")
    public int rate;
    @Option(names = "--rounds", defaultValue = "1",
            description = "latency: consecutive measured windows of --seconds each; the one with the median p99 is reported")
    public int rounds;
    @Option(names = "--mode", defaultValue = "chat", description = "latency: chat | topic; fanout: topic | group")
    public String mode;
    @Option(names = "--topic", defaultValue = "fanout")
    public String topic;
    @Option(names = "--publisher", description = "fanout: this worker publishes")
    public boolean publisher;
    @Option(names = "--cpu-pids", defaultValue = "", description = "fanout, throughput, handshake: server processes whose CPU time is read over the measured window")
    public String cpuPids;
    @Option(names = "--service-cpu-pids", defaultValue = "",
            description = "throughput: the database's and Redis's processes (on this machine), whose CPU time is read over the measured window")
    public String serviceCpuPids;

    @Option(names = "--window", defaultValue = "64", description = "fanout/throughput: publications or sends in flight")
    public int window;
    @Option(names = "--concurrency", defaultValue = "64", description = "handshake: handshakes in flight")
    public int concurrency;
    @Option(names = "--jwt-secret", description = "sign a token per user (Switchboard handshake with JWT)")
    public String jwtSecret;
}
