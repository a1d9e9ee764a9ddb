package dev.switchboard.bench.load;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * One load-generator process, driven by the harness over stdin/stdout: it prints {@code READY …}
 * once its sessions are set up, waits for {@code GO} (or for stdin to close), runs its role, and
 * prints one {@code RESULT {json}} line. Several workers run side by side — a process may hold at
 * most 20,000 open files here — each binding its connections to its own source addresses.
 */
public final class LoadWorker {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int OPEN_CONCURRENCY = 500;
    /** The server's store writer thread (its name in {@code JdbcWriter}), whose CPU the throughput scenario reports. */
    private static final String STORE_WRITER_THREAD = "store-writer";

    private final WorkerOptions options;
    private final LoadClient client;
    private final BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    public LoadWorker(WorkerOptions options) {
        this.options = options;
        if (options.jwtSecret != null) {
            Tokens.useSecret(options.jwtSecret);
        }
        this.client = new LoadClient(options.host, Dialect.of(options.dialect), options.sources.split(","), options.threads);
    }

    public void run() throws Exception {
        try {
            ObjectNode result = switch (options.role) {
                case "hold" -> hold();
                case "handshake" -> handshakes();
                case "latency" -> latency();
                case "fanout" -> fanout();
                case "throughput" -> throughput();
                default -> throw new IllegalArgumentException("unknown role " + options.role);
            };
            tellHarness("RESULT " + JSON.writeValueAsString(result));
        } finally {
            client.close();
        }
    }

    /** Opens {@code count} sessions with at most {@link #OPEN_CONCURRENCY} handshakes in flight. */
    private List<Session> openAll(int port, String prefix, int first, int count, int timestampEvery, boolean receive)
            throws InterruptedException {
        List<Session> sessions = new ArrayList<>(count);
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(OPEN_CONCURRENCY);
        List<CompletableFuture<Session>> pending = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            inFlight.acquire();
            CompletableFuture<Session> opened = client.open(port, prefix + (first + i), timestampEvery, receive);
            opened.whenComplete((session, error) -> inFlight.release());
            pending.add(opened);
        }
        int failed = 0;
        for (CompletableFuture<Session> opened : pending) {
            try {
                sessions.add(opened.get(60, TimeUnit.SECONDS));
            } catch (Exception e) {
                failed++;
                if (failed == 1) {
                    System.err.println("session failed: " + e);
                }
            }
        }
        if (failed > 0) {
            System.err.println(failed + " of " + count + " sessions failed to open");
        }
        return sessions;
    }

    private void ready(String detail) {
        tellHarness("READY " + detail);
    }

    /** One line of the worker's protocol on standard output (READY, MEASURING, RESULT), at once. */
    private static void tellHarness(String line) {
        System.out.println(line);
        System.out.flush();
    }

    /** Waits for a line from the harness; returns it, or null at end of input. */
    private String awaitCommand() throws IOException {
        return commands.readLine();
    }

    // ---- roles ----

    /** Idle sessions for the memory measurement: open, report, hold until told to stop. */
    private ObjectNode hold() throws Exception {
        List<Session> sessions = openAll(options.port, options.prefix, options.first, options.count, 0, true);
        ready(sessions.size() + " " + (options.count - sessions.size()));
        awaitCommand();
        ObjectNode result = JSON.createObjectNode();
        result.put("open", sessions.size());
        result.put("failed", options.count - sessions.size());
        return result;
    }

    /** Connect, wait for welcome, reset (no close frame) — as fast as possible with {@code concurrency} in flight, for {@code seconds}. */
    private ObjectNode handshakes() throws Exception {
        try (HandshakeClient handshakes = new HandshakeClient(client.group(), options.host, options.port,
                client.dialect(), options.sources.split(","))) {
            return handshakes(handshakes);
        }
    }

    private ObjectNode handshakes(HandshakeClient handshakes) throws Exception {
        ready("handshake");
        awaitCommand();
        LongAdder completed = new LongAdder();
        Failures failed = new Failures();
        java.util.concurrent.Semaphore inFlight = new java.util.concurrent.Semaphore(options.concurrency);
        // Warm-up (not counted): JIT compilers and caches of every target get the same head start.
        int userNumber = runHandshakes(handshakes, inFlight, System.nanoTime() + TimeUnit.SECONDS.toNanos(options.warmupSeconds),
                new LongAdder(), new Failures(), 0);
        inFlight.acquire(options.concurrency);
        inFlight.release(options.concurrency);
        CpuTime serverCpu = new CpuTime(options.cpuPids);
        CpuTime generatorCpu = new CpuTime(Long.toString(ProcessHandle.current().pid()));
        serverCpu.start();
        generatorCpu.start();
        long start = System.nanoTime();
        runHandshakes(handshakes, inFlight, start + TimeUnit.SECONDS.toNanos(options.seconds), completed, failed, userNumber);
        double seconds = (System.nanoTime() - start) / 1e9;
        CpuTime.Usage server = serverCpu.usageSinceStart();
        CpuTime.Usage generator = generatorCpu.usageSinceStart();
        inFlight.acquire(options.concurrency);
        ObjectNode result = JSON.createObjectNode();
        result.put("handshakes", completed.sum());
        result.put("failed", failed.count());
        result.put("seconds", seconds);
        result.put("perSecond", completed.sum() / seconds);
        if (server != null && completed.sum() > 0) {
            // Both share the machine's cores: the server's CPU per handshake is its own cost, whatever
            // the generator leaves it. Includes each connection's teardown and the kernel's work in
            // the process's system calls (on loopback, the peer's side of each packet too).
            putCpu(result, "server", server, completed.sum() / seconds, "Handshake");
            putCpu(result, "generator", generator, completed.sum() / seconds, "Handshake");
        }
        return result;
    }

    /** Opens and resets sessions until the deadline, {@code inFlight} permits at a time; returns the next user number. */
    private int runHandshakes(HandshakeClient handshakes, java.util.concurrent.Semaphore inFlight, long deadline,
                              LongAdder completed, Failures failed, int userNumber) throws InterruptedException {
        while (System.nanoTime() < deadline) {
            if (!inFlight.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                continue;
            }
            handshakes.open(options.prefix + (options.first + (userNumber++ % Math.max(1, options.count))))
                    .whenComplete((channel, error) -> {
                        if (error == null) {
                            completed.increment();
                            channel.close(); // a reset: the server's cleanup is part of the cost
                        } else {
                            failed.add(error);
                        }
                        inFlight.release();
                    });
        }
        return userNumber;
    }

    /** Failed handshakes, counted from any event loop; the first one's cause goes to the worker's log. */
    private static final class Failures {
        private final AtomicLong count = new AtomicLong();

        void add(Throwable cause) {
            if (count.incrementAndGet() == 1) {
                System.err.println("handshake failed: " + cause);
            }
        }

        long count() {
            return count.get();
        }
    }

    /**
     * 1:1 latency at a fixed total rate over {@code count} sender → receiver pairs (chat: durable
     * messages; topic: one topic per pair). Latency is receive time minus the *intended* send time
     * of a fixed schedule, so a stall delays the clock of every message behind it instead of
     * hiding them (corrected for coordinated omission).
     *
     * <p>After the warm-up, {@code rounds} consecutive windows of {@code seconds} are measured, each
     * message counted in the window of its intended send time. The window with the median p99 is
     * reported, with every window's p99 beside it: on a shared machine one hiccup (a stalled disk, a
     * neighbour's burst) doubles the p99 of a 15 s window, and one window cannot tell that from the
     * server's own tail.
     *
     * <p>With {@code --cross-receiver-port} the pairs take turns: even pairs' receivers on
     * {@code --receiver-port} (the sender's node), odd pairs' on the other node. Both paths share the
     * schedule, the windows and whatever else the machine does meanwhile, so the p99 the hop adds is
     * read window by window ({@link #pairedPaths}) instead of from two runs minutes apart.
     */
    private ObjectNode latency() throws Exception {
        boolean topic = "topic".equals(options.mode);
        int sameNodePort = options.receiverPort > 0 ? options.receiverPort : options.port;
        int[] receiverPorts = options.crossReceiverPort > 0
                ? new int[] {sameNodePort, options.crossReceiverPort} : new int[] {sameNodePort};
        int paths = receiverPorts.length;
        List<Session> senders = new ArrayList<>();
        List<Session> receivers = new ArrayList<>();
        List<Integer> pathOfPair = new ArrayList<>();
        List<List<Session>> receiversByPath = new ArrayList<>();
        for (int path = 0; path < paths; path++) {
            int pairsOnPath = (options.count + paths - 1 - path) / paths; // pairs i with i % paths == path
            String prefix = options.prefix + "r" + (paths > 1 ? path + "-" : "");
            receiversByPath.add(openAll(receiverPorts[path], prefix, options.first, pairsOnPath, 1, true));
        }
        List<Session> allSenders = openAll(options.port, options.prefix + "s", options.first, options.count, 0, false);
        for (int i = 0; i < allSenders.size(); i++) {
            List<Session> onPath = receiversByPath.get(i % paths);
            if (i / paths < onPath.size()) {
                senders.add(allSenders.get(i));
                receivers.add(onPath.get(i / paths));
                pathOfPair.add(i % paths);
            }
        }
        int rounds = Math.max(1, options.rounds);
        long roundNanos = TimeUnit.SECONDS.toNanos(options.seconds);
        Recorder[][] recorders = new Recorder[paths][rounds];
        AtomicLongArray[] received = new AtomicLongArray[paths];
        AtomicLongArray[] sentPerRound = new AtomicLongArray[paths];
        for (int path = 0; path < paths; path++) {
            received[path] = new AtomicLongArray(rounds);
            sentPerRound[path] = new AtomicLongArray(rounds);
            for (int round = 0; round < rounds; round++) {
                recorders[path][round] = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
            }
        }
        if (topic) {
            subscribeAll(receivers, index -> pairTopic(receivers.get(index)));
        }
        AtomicLong measuringFrom = new AtomicLong(Long.MAX_VALUE);
        // Warm-up messages are recorded too, and thrown away: the measured windows then run code the
        // JIT compiled during the warm-up, not the histogram's first calls.
        Recorder warmupRecorder = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
        AtomicLongArray warmupReceived = new AtomicLongArray(1);
        AtomicLongArray warmupSent = new AtomicLongArray(1);
        for (int pair = 0; pair < receivers.size(); pair++) {
            Recorder[] pathRecorders = recorders[pathOfPair.get(pair)];
            AtomicLongArray pathReceived = received[pathOfPair.get(pair)];
            receivers.get(pair).listen((session, kind, timestamp) -> {
                if ((kind == Inbound.MESSAGE || kind == Inbound.PUBLICATION) && timestamp > 0) {
                    long now = System.nanoTime();
                    long from = measuringFrom.get();
                    boolean measured = timestamp >= from;
                    int round = measured ? (int) Math.min(rounds - 1, (timestamp - from) / roundNanos) : 0;
                    (measured ? pathRecorders[round] : warmupRecorder).recordValue(Math.max(0, now - timestamp));
                    (measured ? pathReceived : warmupReceived).incrementAndGet(round);
                }
            });
        }
        ready(senders.size() + " pairs");
        awaitCommand();
        SendTicks ticks = SendTicks.forRate(options.rate); // intended send times fall on the sender's ticks
        long interval = ticks.intervalNanos();
        AtomicReference<SendWindow> schedule = new AtomicReference<>(); // set once the first tick's time is known
        AtomicLong sent = new AtomicLong();
        LateSends[] lateSends = new LateSends[paths]; // per path: a row's share is of its own sends
        for (int path = 0; path < paths; path++) {
            lateSends[path] = new LateSends();
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        LoadClient.FixedRateTask sending = client.scheduleAtFixedRate(() -> {
            SendWindow times = schedule.get();
            if (times == null) {
                // Set 20 ms before the first tick is due; were it later, the first tick to find it sends what is due.
                return;
            }
            long now = System.nanoTime();
            while (true) {
                long k = sent.get();
                long intended = times.start() + k * interval;
                if (intended > now || intended >= times.end()) {
                    break;
                }
                sent.incrementAndGet();
                int pair = (int) (k % senders.size());
                boolean measured = intended >= times.warmupEnd(); // the warm-up makes the same calls (see the listener)
                (measured ? sentPerRound[pathOfPair.get(pair)] : warmupSent)
                        .incrementAndGet(measured ? (int) ((intended - times.warmupEnd()) / roundNanos) : 0);
                if (measured) {
                    lateSends[pathOfPair.get(pair)].sent(intended, now);
                }
                Session sender = senders.get(pair);
                String payload = "{\"t\":" + intended + "}";
                Session receiver = receivers.get(pair);
                sender.send(topic ? client.dialect().publish(pairTopic(receiver), payload)
                        : client.dialect().send(receiver.user(), payload, k));
            }
            if (now >= times.end() && !done.isDone()) {
                done.complete(null);
            }
        }, TimeUnit.MILLISECONDS.toNanos(20), ticks.tickNanos());
        long start = sending.firstDueNanos();
        long warmupEnd = start + TimeUnit.SECONDS.toNanos(options.warmupSeconds);
        long end = warmupEnd + rounds * roundNanos;
        measuringFrom.set(warmupEnd);
        schedule.set(new SendWindow(start, warmupEnd, end));
        // The harness reads the server's own histograms at this line and at the result, so that they
        // cover the measured windows as the recorders do, not the warm-up's first, uncompiled seconds.
        TimeUnit.NANOSECONDS.sleep(Math.max(0, warmupEnd - System.nanoTime()));
        tellHarness("MEASURING");
        try {
            done.get((long) options.seconds * rounds + options.warmupSeconds + 60L, TimeUnit.SECONDS);
        } finally {
            sending.runs().cancel(false); // every send is out: the ticks would only find nothing left to do
        }
        // Let stragglers arrive (bounded), then read the histograms.
        long drainDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (total(received) < total(sentPerRound) && System.nanoTime() < drainDeadline) {
            Thread.sleep(10); // waiting for in-flight messages to land, not synchronising a test
        }
        List<ObjectNode> byPath = new ArrayList<>();
        for (int path = 0; path < paths; path++) {
            int pairsOnPath = java.util.Collections.frequency(pathOfPair, path);
            byPath.add(windows(recorders[path], received[path], sentPerRound[path],
                    (double) options.rate * pairsOnPath / Math.max(1, senders.size())).put("lateSends", lateSends[path].count()));
        }
        return paths == 1 ? byPath.get(0) : pairedPaths(byPath.get(0), byPath.get(1));
    }

    /** The latency sender's times ({@link System#nanoTime()}): first send, end of the warm-up, end of sending. */
    private record SendWindow(long start, long warmupEnd, long end) {
    }

    /** Each pair's own topic, named after its receiver (unique within a run). */
    private static String pairTopic(Session receiver) {
        return "pair." + receiver.user();
    }

    /** One path's windows: the window with the median p99, every window's p99 beside it, and any loss. */
    private static ObjectNode windows(Recorder[] recorders, AtomicLongArray received, AtomicLongArray sentPerRound,
                                      double rate) {
        int rounds = recorders.length;
        List<ObjectNode> measured = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            ObjectNode result = histogramJson(recorders[round].getIntervalHistogram());
            result.put("sent", sentPerRound.get(round));
            result.put("received", received.get(round));
            measured.add(result);
        }
        List<ObjectNode> byP99 = new ArrayList<>(measured);
        byP99.sort(Comparator.comparingDouble(round -> round.get("p99Micros").asDouble()));
        ObjectNode result = byP99.get(rounds / 2).deepCopy();
        result.put("rate", rate);
        result.put("rounds", rounds);
        // Loss in any window stays visible: a window that lost messages also lost their latencies.
        result.put("sentAllRounds", total(sentPerRound));
        result.put("receivedAllRounds", total(received));
        ArrayNode p99s = result.putArray("roundsP99Micros");
        measured.forEach(round -> p99s.add(round.get("p99Micros").asDouble()));
        return result;
    }

    /**
     * The two paths of one paired run, and what the second adds: the difference of their p99s in each
     * window (the same seconds of the same run), and the median of those differences.
     */
    static ObjectNode pairedPaths(ObjectNode sameNode, ObjectNode crossNode) {
        ObjectNode result = JSON.createObjectNode();
        result.set("sameNode", sameNode);
        result.set("crossNode", crossNode);
        JsonNode same = sameNode.get("roundsP99Micros");
        JsonNode cross = crossNode.get("roundsP99Micros");
        double[] added = new double[same.size()];
        ArrayNode windows = result.putArray("roundsAddedP99Micros");
        for (int round = 0; round < added.length; round++) {
            added[round] = cross.get(round).asDouble() - same.get(round).asDouble();
            windows.add(added[round]);
        }
        double[] sorted = added.clone();
        java.util.Arrays.sort(sorted);
        result.put("addedP99Micros", sorted[sorted.length / 2]);
        return result;
    }

    private static long total(AtomicLongArray... counts) {
        long sum = 0;
        for (AtomicLongArray array : counts) {
            for (int i = 0; i < array.length(); i++) {
                sum += array.get(i);
            }
        }
        return sum;
    }

    /** Subscribers (all topics or one) ready before the harness says GO. */
    private void subscribeAll(List<Session> sessions, java.util.function.IntFunction<String> topicOf) throws Exception {
        List<CompletableFuture<Void>> subscribed = new ArrayList<>();
        for (int i = 0; i < sessions.size(); i++) {
            Session session = sessions.get(i);
            CompletableFuture<Void> reply = new CompletableFuture<>();
            session.listen((s, kind, timestamp) -> {
                if (kind == Inbound.REPLY) {
                    reply.complete(null);
                }
            });
            session.send(client.dialect().subscribe(topicOf.apply(i)));
            subscribed.add(reply);
        }
        CompletableFuture.allOf(subscribed.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
    }

    /**
     * Fan-out: {@code count} subscribers of one topic (or members of one group); when this worker is
     * the publisher it publishes for {@code seconds}, keeping at most {@code window} publications
     * ahead of its last subscriber. Every worker counts what its subscribers received in that time.
     */
    private ObjectNode fanout() throws Exception {
        boolean group = "group".equals(options.mode);
        // 1 in 16 deliveries sampled for latency: keeps the generator light.
        List<Session> subscribers = openAll(options.port, options.prefix, options.first, options.count, 16, true);
        if (!group || !"switchboard".equals(options.dialect)) {
            subscribeAll(subscribers, index -> options.topic);
        }
        LongAdder received = new LongAdder();
        Recorder recorder = new Recorder(TimeUnit.SECONDS.toNanos(60), 3);
        java.util.concurrent.Semaphore window = new java.util.concurrent.Semaphore(options.window);
        Session probe = subscribers.isEmpty() ? null : subscribers.get(subscribers.size() - 1);
        java.util.concurrent.atomic.AtomicBoolean counting = new java.util.concurrent.atomic.AtomicBoolean();
        for (Session subscriber : subscribers) {
            subscriber.listen((session, kind, timestamp) -> {
                if (kind == Inbound.MESSAGE || kind == Inbound.PUBLICATION) {
                    if (counting.get()) {
                        received.increment();
                        if (timestamp > 0) { // a sampled one (above)
                            recorder.recordValue(Math.max(0, System.nanoTime() - timestamp));
                        }
                    }
                    if (session == probe) {
                        window.release(); // the last subscriber has it: one more may be in flight
                    }
                }
            });
        }
        Session publisher = options.publisher
                ? openAll(options.port, options.prefix + "pub", 0, 1, 0, false).get(0) : null;
        ready(subscribers.size() + " subscribers");
        awaitCommand();
        long warmupEnd = System.nanoTime() + TimeUnit.SECONDS.toNanos(options.warmupSeconds);
        long end = warmupEnd + TimeUnit.SECONDS.toNanos(options.seconds);
        long start = warmupEnd;
        long published = 0;
        long publishedBeforeCounting = 0;
        CpuTime serverCpu = new CpuTime(options.cpuPids);
        CpuTime generatorCpu = new CpuTime(Long.toString(ProcessHandle.current().pid()));
        if (publisher != null) {
            while (System.nanoTime() < end) {
                if (!counting.get() && System.nanoTime() >= warmupEnd) {
                    counting.set(true); // the publisher's thread flips it: warm-up over
                    publishedBeforeCounting = published;
                    serverCpu.start();
                    generatorCpu.start();
                }
                // Blocks (no spinning: the server needs the CPU) until the last subscriber caught up enough.
                if (!window.tryAcquire(10, TimeUnit.MILLISECONDS)) {
                    continue;
                }
                long now = System.nanoTime();
                String payload = "{\"t\":" + now + "}";
                publisher.send(group ? client.dialect().sendToGroup(options.topic, payload, published)
                        : client.dialect().publish(options.topic, payload));
                published++;
            }
        } else {
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(warmupEnd - System.nanoTime()));
            counting.set(true);
            serverCpu.start();
            generatorCpu.start();
            Thread.sleep(TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()));
        }
        counting.set(false);
        CpuTime.Usage server = serverCpu.usageSinceStart();
        CpuTime.Usage generator = generatorCpu.usageSinceStart();
        published -= publishedBeforeCounting;
        double seconds = (System.nanoTime() - start) / 1e9;
        ObjectNode result = histogramJson(recorder.getIntervalHistogram());
        result.put("subscribers", subscribers.size());
        result.put("received", received.sum());
        result.put("published", published);
        result.put("seconds", seconds);
        result.put("deliveredPerSecond", received.sum() / seconds);
        if (server != null && received.sum() > 0) {
            // Who spends the 2 cores: the server's and this generator's CPU per delivered message, and the
            // kernel's part of each. A server's sends of a delivery cost the kernel about the same whoever
            // wrote the server, so the rest is roughly what the server's own code could still save.
            double delivered = received.sum() / seconds;
            putCpu(result, "server", server, delivered, "Delivery");
            putCpu(result, "generator", generator, delivered, "Delivery");
        }
        return result;
    }

    /** Durable chat throughput: {@code count} pairs, each sender keeping {@code window} sends unacknowledged. */
    private ObjectNode throughput() throws Exception {
        List<Session> receivers = openAll(options.receiverPort > 0 ? options.receiverPort : options.port,
                options.prefix + "r", options.first, options.count, 0, true);
        List<Session> senders = openAll(options.port, options.prefix + "s", options.first, options.count, 0, true);
        LongAdder delivered = new LongAdder();
        LongAdder acknowledged = new LongAdder();
        java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean();
        AtomicLong sequence = new AtomicLong();
        for (Session receiver : receivers) {
            receiver.listen((session, kind, timestamp) -> {
                if (kind == Inbound.MESSAGE && running.get()) {
                    delivered.increment();
                }
            });
        }
        for (int i = 0; i < senders.size(); i++) {
            Session sender = senders.get(i);
            String to = receivers.get(i).user();
            sender.listen((session, kind, timestamp) -> {
                if (kind == Inbound.REPLY && running.get()) {
                    acknowledged.increment();
                    session.sendAfterRead(client.dialect().send(to, "{\"t\":1}", sequence.incrementAndGet()));
                }
            });
        }
        ready(senders.size() + " pairs");
        awaitCommand();
        running.set(true);
        long start = System.nanoTime();
        for (int i = 0; i < senders.size(); i++) {
            Session sender = senders.get(i);
            for (int w = 0; w < options.window; w++) {
                sender.write(client.dialect().send(receivers.get(i).user(), "{\"t\":1}", sequence.incrementAndGet()));
            }
            sender.flush();
        }
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.warmupSeconds)); // warm-up, then count from zero
        CpuTime serverCpu = new CpuTime(options.cpuPids);
        CpuTime writerCpu = new CpuTime(options.cpuPids, STORE_WRITER_THREAD);
        CpuTime serviceCpu = new CpuTime(options.serviceCpuPids);
        CpuTime generatorCpu = new CpuTime(Long.toString(ProcessHandle.current().pid()));
        long warmDelivered = delivered.sum();
        long warmAcknowledged = acknowledged.sum();
        serverCpu.start();
        writerCpu.start();
        serviceCpu.start();
        generatorCpu.start();
        start = System.nanoTime();
        Thread.sleep(TimeUnit.SECONDS.toMillis(options.seconds));
        running.set(false);
        double seconds = (System.nanoTime() - start) / 1e9;
        CpuTime.Usage server = serverCpu.usageSinceStart();
        CpuTime.Usage writer = writerCpu.usageSinceStart();
        CpuTime.Usage services = serviceCpu.usageSinceStart();
        CpuTime.Usage generator = generatorCpu.usageSinceStart();
        delivered.add(-warmDelivered);
        acknowledged.add(-warmAcknowledged);
        ObjectNode result = JSON.createObjectNode();
        double perSecond = acknowledged.sum() / seconds;
        result.put("acknowledgedPerSecond", perSecond);
        result.put("deliveredPerSecond", delivered.sum() / seconds);
        result.put("seconds", seconds);
        if (server != null && perSecond > 0) {
            // Who spends the 2 cores per persisted message: the server, its one store writer (the serial
            // part of the durable path, whose kernel part is mostly its log writes and fsyncs), a
            // cluster's database and Redis, and this generator. 50k/s on 2 cores allows 40 µs, all
            // together. A side that could not be read is left out, never recorded as a number.
            putCpu(result, "server", server, perSecond, "Message");
            putCpu(result, "storeWriter", writer, perSecond, "Message");
            putCpu(result, "services", services, perSecond, "Message");
            putCpu(result, "generator", generator, perSecond, "Message");
        }
        return result;
    }

    /**
     * {@code <side>Cores}, {@code <side>MicrosPer<unit>} (CPU µs per unit at {@code unitsPerSecond}) and
     * the kernel's part of those µs ({@code <side>KernelMicrosPer<unit>}): the figures the report's CPU
     * columns read. Nothing when {@code usage} is unknown (null).
     */
    static void putCpu(ObjectNode result, String side, CpuTime.Usage usage, double unitsPerSecond, String unit) {
        if (usage == null) {
            return;
        }
        result.put(side + "Cores", usage.cores());
        result.put(side + "MicrosPer" + unit, usage.cores() / unitsPerSecond * 1e6);
        result.put(side + "KernelMicrosPer" + unit, usage.kernelCores() / unitsPerSecond * 1e6);
    }

    /** The percentiles every latency figure reports, in microseconds (also used by the harness's disk probe). */
    public static ObjectNode histogramJson(Histogram histogram) {
        ObjectNode result = JSON.createObjectNode();
        result.put("count", histogram.getTotalCount());
        result.put("p50Micros", histogram.getValueAtPercentile(50) / 1000.0);
        result.put("p99Micros", histogram.getValueAtPercentile(99) / 1000.0);
        result.put("p999Micros", histogram.getValueAtPercentile(99.9) / 1000.0);
        result.put("maxMicros", histogram.getMaxValue() / 1000.0);
        return result;
    }
}
