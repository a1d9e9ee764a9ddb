package dev.switchboard.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.client.Target;
import dev.switchboard.server.testing.ChatTraffic;
import dev.switchboard.server.testing.ChildProcesses;
import dev.switchboard.server.testing.DeliveryChecker;
import dev.switchboard.server.testing.ProcessCluster;
import dev.switchboard.server.testing.TestClient;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * R9/R10/R5 with real processes: three node JVMs behind a real nginx (deploy/nginx.conf) over a private
 * redis-server and a fresh MariaDB database. Six SDK clients (four users, two of them on two devices,
 * spread over the nodes by nginx) send a steady paced stream — 1:1 both ways and into a four-member
 * group, 80 messages/s in all — while one failure happens: a node gets SIGTERM, a node gets SIGKILL,
 * every node is restarted in turn, or Redis is restarted. {@link DeliveryChecker} then proves that
 * every acknowledged message reached every device that should have it, exactly once and in
 * per-conversation order.
 *
 * <p>Each scenario's figures go to the test log and to {@code switchboard-server/target/cluster-report.md}.
 * The long version: {@code -Dsoak.minutes=30} (deploy/soak.sh) runs {@link #soak} — the same stream
 * with a failure every {@code soak.intervalSeconds} (default 60), cycling through the four kinds.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterFailoverIT {
    private static final Logger log = LoggerFactory.getLogger(ClusterFailoverIT.class);
    private static final int NODES = 3;
    /** Minimum stream length of a CI scenario; the stream also runs on for {@link #TAIL} after the failure. */
    private static final Duration STREAM = Duration.ofSeconds(Long.getLong("cluster.streamSeconds", 12));
    private static final Duration TAIL = Duration.ofSeconds(3);
    private static final Duration CATCH_UP = Duration.ofSeconds(30);
    private static final Duration NODE_START = Duration.ofSeconds(60);
    private static final Duration NODE_EXIT = Duration.ofSeconds(20);
    /** How long Redis stays down once every node has noticed. */
    private static final Duration REDIS_DOWNTIME = Duration.ofSeconds(2);
    private static final String GROUP = "crew";
    private static final Map<String, DeliveryChecker.Result> REPORT = new ConcurrentHashMap<>();
    private static final List<String> REPORT_ORDER = new CopyOnWriteArrayList<>();
    private static final List<String> REPORT_NOTES = new CopyOnWriteArrayList<>();

    @TempDir
    Path work;
    private ProcessCluster cluster;
    private final DeliveryChecker checker = new DeliveryChecker();
    private final ChatTraffic traffic = new ChatTraffic(checker);
    private final List<TestClient> clients = new ArrayList<>();
    private Instant streamStarted;

    @BeforeEach
    void startCluster(TestInfo test) throws Exception {
        String name = test.getTestMethod().orElseThrow().getName();
        Path logs = ChildProcesses.repositoryRoot().resolve("switchboard-server/target/cluster-logs/" + name);
        deleteRecursively(logs);
        cluster = ProcessCluster.start(work, logs, NODES);
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            traffic.stop();
        } finally {
            clients.forEach(TestClient::close);
            if (cluster != null) {
                cluster.close();
            }
        }
    }

    @Test
    @Order(1)
    void sigterm_oneNode_clientsReconnectElsewhere_nothingLost() throws Exception {
        startStream();
        int victim = cluster.busiestNode();
        log.info("SIGTERM node-{} ({} connections)", victim + 1, cluster.connectionsPerNode().get(victim));
        cluster.node(victim).terminate();
        cluster.node(victim).awaitExit(NODE_EXIT);
        Instant failureOver = Instant.now();

        DeliveryChecker.Result result = finish("a. SIGTERM one node", failureOver);
        assertThat(result.closeCodes()).as("clients of the stopped node were told 1012 (service restart)")
                .containsKey(1012);
        assertNothingLost(result);
    }

    @Test
    @Order(2)
    void sigkill_oneNode_clientsReconnectElsewhere_nothingLost() throws Exception {
        startStream();
        int victim = cluster.busiestNode();
        log.info("SIGKILL node-{} ({} connections)", victim + 1, cluster.connectionsPerNode().get(victim));
        cluster.node(victim).kill();
        Instant failureOver = Instant.now();

        DeliveryChecker.Result result = finish("b. SIGKILL one node", failureOver);
        assertThat(result.reconnects()).as("clients of the killed node reconnected").isPositive();
        assertNothingLost(result);
    }

    @Test
    @Order(3)
    void rollingRestart_everyNode_nothingLost() throws Exception {
        startStream();
        for (int index = 0; index < NODES; index++) {
            restartGracefully(index);
        }
        Instant failureOver = Instant.now();

        DeliveryChecker.Result result = finish("c. rolling restart (3 nodes)", failureOver);
        assertThat(result.closeCodes()).as("clients were moved with 1012").containsKey(1012);
        assertNothingLost(result);
    }

    @Test
    @Order(4)
    void redisRestart_midStream_nothingLost() throws Exception {
        startStream();
        restartRedis();
        Instant failureOver = Instant.now();

        DeliveryChecker.Result result = finish("d. Redis restart", failureOver);
        for (int index = 0; index < NODES; index++) {
            assertThat(cluster.node(index).output()).as("node-%d log", index + 1)
                    .anyMatch(line -> line.contains("subscription restored"));
        }
        assertNothingLost(result);
    }

    /**
     * The sharpest form of (d): after every Redis restart, a message to a user who is connected to
     * another node and otherwise idle must arrive at once — not only once some later message reveals
     * the gap. Each node holds one idle recipient and one sender (connected to the node directly);
     * Redis is restarted five times, since what goes wrong depends on which of a node's two Redis
     * connections comes back first (observed: the pub/sub connection first, a few ms ahead of the
     * command connection, on about a third of the node restarts).
     */
    @Test
    @Order(5)
    void crossNodeMessage_reachesIdleRecipient_afterRedisRestart() throws Exception {
        List<TestClient> senders = new ArrayList<>();
        List<TestClient> recipients = new ArrayList<>();
        for (int index = 0; index < NODES; index++) {
            senders.add(directClient(index, "sender-" + (index + 1)));
            recipients.add(directClient(index, "idle-" + (index + 1)));
        }
        List<String> late = new ArrayList<>();
        for (int restart = 1; restart <= 5; restart++) {
            restartRedis();
            for (int index = 0; index < NODES; index++) {
                TestClient sender = senders.get((index + 1) % NODES);
                TestClient recipient = recipients.get(index);
                String clientId = "probe-" + restart + "-" + index;
                sender.sdk().send(Target.user("idle-" + (index + 1)), restart, clientId).get(10, TimeUnit.SECONDS);
                try {
                    await().atMost(Duration.ofSeconds(5)).until(() -> recipient.receivedClientIds().contains(clientId));
                } catch (ConditionTimeoutException e) {
                    late.add(clientId + " (stored, to idle-" + (index + 1) + " on node-" + (index + 1)
                            + ", not delivered within 5 s after Redis restart " + restart + ")");
                }
            }
        }
        REPORT_NOTES.add("e. idle recipient after Redis restart: " + (5 * NODES - late.size()) + " of " + (5 * NODES)
                + " cross-node messages delivered within 5 s" + (late.isEmpty() ? "" : "; late: " + late));
        writeReport();
        assertThat(late).as("cross-node messages that waited for the next message or a reconnect").isEmpty();
    }

    @Test
    @Order(6)
    @EnabledIfSystemProperty(named = "soak.minutes", matches = "[1-9][0-9]*")
    void soak() throws Exception {
        Duration length = Duration.ofMinutes(Long.getLong("soak.minutes"));
        Duration interval = Duration.ofSeconds(Long.getLong("soak.intervalSeconds", 60));
        startStream();
        Instant end = streamStarted.plus(length);
        int failures = 0;
        while (Instant.now().plus(interval).isBefore(end)) {
            pause(interval);
            String kind = switch (failures % 4) {
                case 0 -> "SIGTERM";
                case 1 -> "SIGKILL";
                case 2 -> "rolling restart";
                default -> "Redis restart";
            };
            int victim = cluster.busiestNode();
            log.info("soak: failure {} ({}) at {} s; so far: {}", failures + 1, kind,
                    Duration.between(streamStarted, Instant.now()).toSeconds(), checker.result().markdownRow());
            switch (failures % 4) {
                case 0 -> restartGracefully(victim);
                case 1 -> {
                    cluster.node(victim).kill();
                    cluster.startNode(victim);
                    cluster.awaitReady(victim, NODE_START);
                }
                case 2 -> {
                    for (int index = 0; index < NODES; index++) {
                        restartGracefully(index);
                    }
                }
                default -> restartRedis();
            }
            failures++;
        }
        await("end of the soak").atMost(length.plusMinutes(5)).pollInterval(Duration.ofSeconds(1))
                .until(() -> !Instant.now().isBefore(end));
        DeliveryChecker.Result result = finish("soak " + length.toMinutes() + " min, " + failures + " failures", Instant.now());
        assertNothingLost(result);
    }

    /** Connects the clients through nginx, creates the group, starts the stream and waits until it flows. */
    private void startStream() throws Exception {
        TestClient alicePhone = client("alice", "phone");
        TestClient aliceLaptop = client("alice", "laptop");
        TestClient bobPhone = client("bob", "phone");
        TestClient bobTablet = client("bob", "tablet");
        TestClient carolPhone = client("carol", "phone");
        TestClient davePhone = client("dave", "phone");
        carolPhone.sdk().createGroup(GROUP, "Crew", List.of("alice", "bob", "dave")).get(10, TimeUnit.SECONDS);
        checker.group(GROUP, List.of("alice", "bob", "carol", "dave"));

        await("clients spread over the nodes").atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            List<Integer> connections = cluster.connectionsPerNode();
            assertThat(connections.stream().mapToInt(Integer::intValue).sum()).as("connections %s", connections)
                    .isEqualTo(clients.size());
            assertThat(connections.stream().filter(count -> count > 0).count()).as("nodes with clients %s", connections)
                    .isGreaterThanOrEqualTo(2);
        });
        log.info("clients per node: {}", cluster.connectionsPerNode());

        traffic.stream(alicePhone, "alice", "phone", Target.user("bob"), 20)
                .stream(bobTablet, "bob", "tablet", Target.user("alice"), 20)
                .stream(carolPhone, "carol", "phone", Target.group(GROUP), 10)
                .stream(davePhone, "dave", "phone", Target.group(GROUP), 10)
                .stream(aliceLaptop, "alice", "laptop", Target.user("carol"), 10)
                .stream(bobPhone, "bob", "phone", Target.group(GROUP), 10);
        streamStarted = Instant.now();
        traffic.start();
        await("stream flowing").atMost(Duration.ofSeconds(20)).until(() -> checker.acknowledged() >= 40);
    }

    private TestClient client(String user, String device) {
        TestClient client = TestClient.create(cluster.webSocketUri(), user, device, builder -> { },
                checker.observe(user, device));
        clients.add(client);
        checker.attach(user, device, client);
        client.sdk().connect();
        client.sdk().connected().orTimeout(15, TimeUnit.SECONDS).join();
        return client;
    }

    /** A client connected to node {@code index} itself (not through nginx), device "phone". */
    private TestClient directClient(int index, String user) {
        TestClient client = TestClient.connect(URI.create("ws://127.0.0.1:" + cluster.port(index) + "/ws"), user, "phone");
        clients.add(client);
        return client;
    }

    /** SIGTERM, wait for the exit, start again on the same port, wait for /health/ready. */
    private void restartGracefully(int index) throws Exception {
        log.info("restarting node-{} ({} connections)", index + 1, cluster.connectionsPerNode().get(index));
        cluster.node(index).terminate();
        cluster.node(index).awaitExit(NODE_EXIT);
        cluster.startNode(index);
        cluster.awaitReady(index, NODE_START);
    }

    /** SHUTDOWN NOSAVE; wait until every node reports Redis down (not ready); start it again; wait until all are ready. */
    private void restartRedis() throws Exception {
        log.info("restarting Redis (SHUTDOWN NOSAVE)");
        cluster.redis().shutdown();
        await("every node notices Redis is gone").atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> {
                    for (int index = 0; index < NODES; index++) {
                        if (cluster.node(index).isAlive() && cluster.isReady(index)) {
                            return false;
                        }
                    }
                    return true;
                });
        pause(REDIS_DOWNTIME);
        cluster.redis().startAgain();
        for (int index = 0; index < NODES; index++) {
            cluster.awaitReady(index, NODE_START);
        }
        log.info("Redis back; every node ready again");
    }

    /**
     * Lets the stream run on (at least {@link #STREAM} in all, and {@link #TAIL} after the failure), stops it,
     * waits (bounded) until every send is settled and every client has caught up, then records the figures.
     */
    private DeliveryChecker.Result finish(String scenario, Instant failureOver) throws Exception {
        Instant stopAt = max(streamStarted.plus(STREAM), failureOver.plus(TAIL));
        await("stream end").atMost(STREAM.plus(TAIL).plusSeconds(5)).pollInterval(Duration.ofMillis(100))
                .until(() -> !Instant.now().isBefore(stopAt));
        traffic.stop();
        Duration streamed = Duration.between(streamStarted, Instant.now());
        Instant stopped = Instant.now();
        try {
            await("every send settled and every device caught up").atMost(CATCH_UP).pollInterval(Duration.ofMillis(250))
                    .until(checker::isComplete);
        } catch (ConditionTimeoutException e) {
            log.error("not complete after {}: {}", CATCH_UP, checker.result());
        }
        log.info("caught up {} ms after the stream stopped", Duration.between(stopped, Instant.now()).toMillis());
        DeliveryChecker.Result result = checker.result().withScenario(scenario, streamed);
        record(result);
        return result;
    }

    private static void assertNothingLost(DeliveryChecker.Result result) {
        assertThat(result.failedSends()).as("sends that failed for good").isZero();
        assertThat(result.unsettledSends()).as("sends never confirmed").isZero();
        assertThat(result.lost()).as("acknowledged messages missing at a device: %s", result.lostSamples()).isZero();
        assertThat(result.duplicatesDelivered()).as("messages the application saw twice").isZero();
        assertThat(result.orderViolations()).as("deliveries out of per-conversation order").isZero();
        assertThat(result.receiptOrderViolations()).as("receipts out of send order").isZero();
        assertThat(result.unexpectedDeliveries()).as("deliveries to a device that should not have them").isZero();
        assertThat(result.truncations()).as("truncated ranges (retention is off)").isZero();
        assertThat(result.stillDisconnected()).as("clients still disconnected at the end").isZero();
        assertThat(result.delivered()).as("deliveries").isEqualTo(result.expectedDeliveries());
    }

    /** Adds the scenario to the report: logged as a Markdown table and written to target/cluster-report.md. */
    private static synchronized void record(DeliveryChecker.Result result) throws IOException {
        if (!REPORT.containsKey(result.scenario())) {
            REPORT_ORDER.add(result.scenario());
        }
        REPORT.put(result.scenario(), result);
        writeReport();
        if (!result.lostSamples().isEmpty()) {
            log.error("{}: lost, first {}: {}", result.scenario(), result.lostSamples().size(), result.lostSamples());
        }
    }

    private static synchronized void writeReport() throws IOException {
        StringBuilder table = new StringBuilder("# Cluster failure tests\n\n")
                .append("3 node JVMs behind nginx (deploy/nginx.conf), private redis-server, MariaDB; 6 SDK clients ")
                .append("(alice×2, bob×2, carol, dave), 6 streams, 80 messages/s in all; ")
                .append(Runtime.getRuntime().availableProcessors()).append(" CPUs; ").append(Instant.now()).append("\n\n")
                .append(DeliveryChecker.Result.markdownHeader()).append('\n');
        REPORT_ORDER.forEach(name -> table.append(REPORT.get(name).markdownRow()).append('\n'));
        table.append("\nresent = sends the SDK transmitted again after a reconnect; lost = acknowledged (message, device) ")
                .append("pairs never delivered; duplicates to app = a message shown twice by onMessage; reconnect = from ")
                .append("leaving CONNECTED to the next CONNECTED; close code -1 = connection ended without a close frame ")
                .append("(killed node, or a failed handshake).\n");
        REPORT_NOTES.forEach(note -> table.append("\n").append(note).append('\n'));
        Path file = ChildProcesses.repositoryRoot().resolve("switchboard-server/target/cluster-report.md");
        Files.createDirectories(file.getParent());
        Files.writeString(file, table, StandardCharsets.UTF_8);
        log.info("cluster report ({}):\n{}", file, table);
    }

    private static void pause(Duration duration) {
        Instant until = Instant.now().plus(duration);
        await().atMost(duration.plusSeconds(5)).pollInterval(Duration.ofMillis(200)).until(() -> !Instant.now().isBefore(until));
    }

    private static Instant max(Instant a, Instant b) {
        return a.isAfter(b) ? a : b;
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }
}
