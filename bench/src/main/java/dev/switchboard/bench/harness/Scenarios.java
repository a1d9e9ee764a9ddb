package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The measurements (issue 6 / SPEC R16). Each runs against one started {@link Target} and returns
 * its figures as JSON; sizes come from {@link HarnessOptions} and shrink to seconds for a smoke run.
 * Every load generator binds to its own source addresses (127.0.0.2 …) and stays below 20,000
 * sockets per process.
 */
final class Scenarios {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int SOCKETS_PER_WORKER = 16_000;

    private final HarnessOptions options;
    /** The sizes measured with (a smoke run's are tiny); results.json records them. */
    private final RunSettings settings;
    private final Path logs;

    Scenarios(HarnessOptions options, Path logs) {
        this.options = options;
        this.settings = RunSettings.effective(options);
        this.logs = logs;
    }

    private int seconds() {
        return settings.seconds();
    }

    /**
     * Seconds every measured run is preceded by (not counted), for every target alike: JIT compilers and
     * caches warm up. A compilation log of the Switchboard handshake path showed the JIT busy for about
     * 30 s from a cold start (5 s of warm-up measured 4–7k handshakes/s, a warm node over 10k/s).
     */
    private String warmup() {
        return Integer.toString(settings.warmupSeconds());
    }

    /**
     * The 1:1 latency runs' warm-up, longer than the others: at 1,000 messages a second the windows see
     * every one-time event of the first minute. A compilation log (-XX:+PrintCompilation) of a Switchboard
     * node under the topic latency load showed the C2-compiled frame encoder, decoder and flush path
     * thrown away ("made not entrant") about 30 s after the connections opened: the server's first
     * keep-alive pings to the receivers (which only receive) and their pongs are frame types those
     * methods had never seen. They run slower until recompiled, which at this rate takes seconds. With
     * 20 s of warm-up that falls in the first measured window, which was Switchboard's worst in each of
     * those runs (0.71–1.71 ms at the p99 on the topic path, against 0.4–0.6 ms after it; bench/analysis.md).
     */
    private String latencyWarmup() {
        return Integer.toString(settings.latencyWarmupSeconds());
    }

    private long readyTimeout(int connections) {
        return 60 + connections / 200;
    }

    /**
     * Server memory per idle connection: RSS at a quarter of the connections and at all of them, each
     * after a full garbage collection (where the target has one to trigger); the slope between the two
     * excludes the process's fixed cost. RSS of a garbage-collected runtime moves by a few MB between
     * identical runs (heap sizing, allocator arenas), so the slope is measured in several rounds, all
     * connections closed in between, and the median round is reported with the others beside it. Each
     * round connects users the server has not seen, so state a server keeps per user seen (Switchboard's
     * device states in memory) is in the slope too, as for a node whose connections are all new users.
     */
    ObjectNode idle(Target target) throws Exception {
        int total = options.smoke ? 400 : options.idleConnections;
        int first = total / 4;
        int port = target.ports().get(0);
        // A warm-up round of connections, closed again: the JIT compiles the connection path now,
        // so no measurement below counts compiler memory or new code as per-connection cost.
        hold(target, port, "warmup", 0, first, 0).close();
        List<ObjectNode> rounds = new ArrayList<>();
        for (int round = 0; round < settings.idleRounds(); round++) {
            rounds.add(idleRound(target, port, "idle" + round + "-", first, total));
        }
        rounds.sort(java.util.Comparator.comparingDouble(round -> round.get("bytesPerConnection").asDouble()));
        ObjectNode result = rounds.get(rounds.size() / 2).deepCopy();
        var all = result.putArray("roundsBytesPerConnection");
        rounds.forEach(round -> all.add(round.get("bytesPerConnection").asDouble()));
        double[] liveHeap = rounds.stream().filter(round -> round.has("liveHeapBytesPerConnection"))
                .mapToDouble(round -> round.get("liveHeapBytesPerConnection").asDouble()).sorted().toArray();
        result.remove("liveHeapBytesPerConnection");
        if (liveHeap.length > 0) {
            result.put("liveHeapBytesPerConnection", liveHeap[liveHeap.length / 2]); // the median round's
            var allHeap = result.putArray("roundsLiveHeapBytesPerConnection");
            for (double bytes : liveHeap) {
                allHeap.add(bytes);
            }
        }
        return result;
    }

    private ObjectNode idleRound(Target target, int port, String prefix, int first, int total) throws Exception {
        List<Worker> workers = new ArrayList<>();
        try {
            settle(target);
            long baseline = target.rssKilobytes();
            workers.add(hold(target, port, prefix, 0, first, 0));
            settle(target);
            long rssFirst = target.rssKilobytes();
            long heapFirst = target.liveHeapBytes();
            int opened = first;
            int index = 1;
            while (opened < total) {
                int count = Math.min(SOCKETS_PER_WORKER, total - opened);
                workers.add(hold(target, port, prefix, opened, count, index++));
                opened += count;
            }
            settle(target);
            long rssAll = target.rssKilobytes();
            long heapAll = target.liveHeapBytes();
            ObjectNode result = JSON.createObjectNode();
            result.put("baselineRssKb", baseline);
            result.put("connectionsFirst", first);
            result.put("rssFirstKb", rssFirst);
            result.put("connections", total);
            result.put("rssKb", rssAll);
            result.put("bytesPerConnection", (rssAll - rssFirst) * 1024.0 / (total - first));
            if (heapFirst >= 0 && heapAll >= 0) {
                result.put("liveHeapBytesPerConnection", (heapAll - heapFirst) / (double) (total - first));
            }
            return result;
        } finally {
            workers.forEach(Worker::close);
        }
    }

    private Worker hold(Target target, int port, String prefix, int first, int count, int sourceIndex) throws Exception {
        return Worker.start(logs, readyTimeout(count), "--role", "hold", "--dialect", target.dialect(),
                "--port", Integer.toString(port), "--prefix", prefix, "--first", Integer.toString(first),
                "--count", Integer.toString(count), "--sources", Worker.sourceAddress(sourceIndex));
    }

    /** Lets memory and the server's background work settle before reading RSS. */
    private void settle() throws InterruptedException {
        Thread.sleep(options.smoke ? 500 : 3000); // a fixed pause before a memory reading, not synchronisation
    }

    private void settle(Target target) throws IOException, InterruptedException {
        target.collectGarbage();
        settle();
    }

    /** WebSocket handshakes per second (Switchboard: each with an HS256 JWT to verify), 64 in flight. */
    ObjectNode handshakes(Target target) throws Exception {
        List<String> arguments = new ArrayList<>(List.of("--role", "handshake", "--dialect", target.dialect(),
                "--port", Integer.toString(target.ports().get(0)), "--prefix", "hs", "--count", "1000",
                "--concurrency", "64", "--seconds", Integer.toString(seconds()), "--warmup-seconds", warmup(),
                "--sources", String.join(",", Worker.sourceAddress(10), Worker.sourceAddress(11), Worker.sourceAddress(12),
                        Worker.sourceAddress(13)), "--cpu-pids", pidList(target)));
        if (target instanceof SwitchboardTarget) {
            arguments.addAll(List.of("--jwt-secret", SwitchboardTarget.JWT_SECRET));
        }
        try (Worker worker = Worker.start(logs, 120, arguments.toArray(String[]::new))) {
            worker.go();
            return (ObjectNode) worker.awaitResult(seconds() + 180L);
        }
    }

    /**
     * 1:1 latency at a fixed rate, corrected for coordinated omission. {@code mode} chat =
     * Switchboard's durable path; topic = its ephemeral path; the peers' 1:1 is in memory. Measured in
     * {@code --latency-rounds} consecutive windows; the window with the median p99 is reported.
     */
    ObjectNode latency(Target target, String mode) throws Exception {
        // A durable row also says how the node's own commits and writes went in its measured windows:
        // how much of its tail is the store's.
        boolean durable = "chat".equals(mode) && target instanceof SwitchboardTarget;
        ObjectNode result = latencyWorker(target, mode, "lat" + mode.charAt(0), durable ? (SwitchboardTarget) target : null);
        result.put("mode", mode);
        return result;
    }

    /** The node's store histograms, or null (said on stderr) if its {@code /metrics} could not be read: the row stands without them. */
    private static StoreHistograms storeHistograms(SwitchboardTarget target) throws InterruptedException {
        try {
            return StoreHistograms.read(target.apiPorts().get(0));
        } catch (IOException e) {
            System.err.println("store histograms not read: " + e);
            return null;
        }
    }

    /**
     * The cluster hop: the latency scenario with the senders on node 0 and every other pair's receiver
     * on node 1, the rest on node 0, all in one run (the worker's {@code --cross-receiver-port}). The
     * worker returns both paths and the p99 the second adds in each window.
     */
    ObjectNode hop(SwitchboardTarget cluster, String mode) throws Exception {
        ObjectNode result = latencyWorker(cluster, mode, "hop" + mode.charAt(0), null,
                "--cross-receiver-port", Integer.toString(cluster.ports().get(1)));
        ((ObjectNode) result.get("sameNode")).put("mode", mode);
        ((ObjectNode) result.get("crossNode")).put("mode", mode);
        return result;
    }

    /**
     * One latency worker: 100 pairs (10 in a smoke run), senders and receivers on the target's first node.
     * With {@code store} set, the node's store histograms are read when the measured windows begin and
     * after the result, and the row gets their figures for the windows ({@link StoreHistograms#putSince}).
     */
    private ObjectNode latencyWorker(Target target, String mode, String prefix, SwitchboardTarget store,
                                     String... moreArguments) throws Exception {
        int pairs = options.smoke ? 10 : 100;
        int rounds = settings.latencyRounds();
        List<String> arguments = new ArrayList<>(List.of("--role", "latency", "--dialect", target.dialect(),
                "--mode", mode, "--port", Integer.toString(target.ports().get(0)),
                "--prefix", prefix, "--count", Integer.toString(pairs),
                "--rate", Integer.toString(settings.latencyRate()), "--seconds", Integer.toString(seconds()),
                "--rounds", Integer.toString(rounds), "--warmup-seconds", latencyWarmup(), "--sources", Worker.sourceAddress(20)));
        arguments.addAll(List.of(moreArguments));
        try (Worker worker = Worker.start(logs, readyTimeout(2 * pairs), arguments.toArray(String[]::new))) {
            worker.go();
            StoreHistograms before = null;
            if (store != null) {
                worker.awaitMeasuring(settings.latencyWarmupSeconds() + 180L);
                before = storeHistograms(store);
            }
            ObjectNode result = (ObjectNode) worker.awaitResult((long) seconds() * rounds + settings.latencyWarmupSeconds() + 180L);
            StoreHistograms after = before != null ? storeHistograms(store) : null;
            if (after != null) {
                after.putSince(before, result);
                result.put("storeFiguresWarmupExcluded", true);
            }
            return result;
        }
    }

    /** One topic, {@code fanoutSubscribers} subscribers, one publisher: deliveries per second and their latency. */
    ObjectNode fanout(Target target, String mode) throws Exception {
        int subscribers = settings.fanoutSubscribers();
        String topic = "group".equals(mode) ? "bench-group" : "fanout";
        if ("group".equals(mode)) {
            createGroup((SwitchboardTarget) target, topic, subscribers);
        }
        try (Worker worker = Worker.start(logs, readyTimeout(subscribers), "--role", "fanout", "--dialect", target.dialect(),
                "--mode", mode, "--topic", topic, "--publisher", "--window", "16",
                "--port", Integer.toString(target.ports().get(0)), "--prefix", "m", "--count", Integer.toString(subscribers),
                "--seconds", Integer.toString(seconds()), "--warmup-seconds", warmup(), "--sources", Worker.sourceAddress(30),
                "--cpu-pids", pidList(target))) {
            worker.go();
            ObjectNode result = (ObjectNode) worker.awaitResult(seconds() + 180L);
            result.put("mode", mode);
            return result;
        }
    }

    /** The target's server processes, comma-separated, for a worker's {@code --cpu-pids}. */
    private static String pidList(Target target) {
        return pidList(target.pids());
    }

    private static String pidList(List<Long> pids) {
        return pids.stream().map(String::valueOf).collect(java.util.stream.Collectors.joining(","));
    }

    /** A durable group of the fan-out's users (m0 … and the publisher mpub0), made through the server API. */
    private void createGroup(SwitchboardTarget target, String groupId, int members) throws IOException, InterruptedException {
        ObjectNode body = JSON.createObjectNode();
        body.put("groupId", groupId);
        body.put("owner", "mpub0");
        var list = body.putArray("members");
        for (int i = 0; i < members; i++) {
            list.add("m" + i);
        }
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + target.apiPorts().get(0) + "/api/v1/groups"))
                .header("Authorization", "Bearer " + SwitchboardTarget.API_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))).build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201 && response.statusCode() != 409) {
            throw new IOException("group create: " + response.statusCode() + " " + response.body());
        }
    }

    /** Sender → receiver pairs of the throughput scenario. */
    static int throughputPairs(boolean smoke) {
        return smoke ? 10 : 200;
    }

    /**
     * Durable chat throughput: pairs sending with a window of unacknowledged messages each; senders on
     * {@code senderNode}, receivers on {@code receiverNode}.
     */
    ObjectNode throughput(Target target, int senderNode, int receiverNode) throws Exception {
        return throughput(target, senderNode, receiverNode, List.of());
    }

    /** As {@link #throughput(Target, int, int)}, also reading the CPU of {@code servicePids} (a cluster's database and Redis). */
    ObjectNode throughput(Target target, int senderNode, int receiverNode, List<Long> servicePids) throws Exception {
        int pairs = throughputPairs(options.smoke);
        try (Worker worker = Worker.start(logs, readyTimeout(2 * pairs), "--role", "throughput", "--dialect", target.dialect(),
                "--port", Integer.toString(target.ports().get(senderNode)),
                "--receiver-port", Integer.toString(target.ports().get(receiverNode)),
                "--prefix", "tp" + senderNode + receiverNode, "--count", Integer.toString(pairs),
                "--window", Integer.toString(options.throughputWindow), "--seconds", Integer.toString(seconds()),
                "--warmup-seconds", warmup(),
                "--sources", Worker.sourceAddress(40), "--cpu-pids", pidList(target),
                "--service-cpu-pids", pidList(servicePids))) {
            worker.go();
            return (ObjectNode) worker.awaitResult(seconds() + 180L);
        }
    }

    /** Connections held across several gateway nodes, one worker per node on its own source address. */
    ObjectNode scale(SwitchboardTarget target, int connections) throws Exception {
        int nodes = target.ports().size();
        int perNode = connections / nodes;
        List<Worker> workers = new ArrayList<>();
        long start = System.nanoTime();
        try {
            for (int node = 0; node < nodes; node++) {
                workers.add(Worker.start(logs, readyTimeout(perNode) + 120, "--role", "hold", "--dialect", "switchboard",
                        "--port", Integer.toString(target.ports().get(node)), "--prefix", "n" + node + "u",
                        "--count", Integer.toString(perNode), "--threads", "1", "--sources", Worker.sourceAddress(50 + node)));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            settle();
            ObjectNode result = JSON.createObjectNode();
            result.put("nodes", nodes);
            result.put("connections", (long) perNode * nodes);
            result.put("openSeconds", seconds);
            result.put("rssKb", target.rssKilobytes());
            for (Worker worker : workers) {
                worker.go();
            }
            long open = 0;
            long failed = 0;
            for (Worker worker : workers) {
                JsonNode held = worker.awaitResult(60);
                open += held.get("open").asLong();
                failed += held.get("failed").asLong();
            }
            result.put("held", open);
            result.put("failed", failed);
            return result;
        } finally {
            workers.forEach(Worker::close);
        }
    }
}
