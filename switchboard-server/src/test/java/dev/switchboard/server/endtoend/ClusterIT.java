package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.client.SendReceipt;
import dev.switchboard.client.Target;
import dev.switchboard.server.store.TestDatabase;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestClient;
import dev.switchboard.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two nodes in one JVM over the real Redis and MariaDB: users on different nodes chat 1:1 and in
 * groups, presence is cluster-wide, and readiness reports Redis and the subscription.
 */
class ClusterIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDirectory;
    private TestDatabase database;
    private final List<AutoCloseable> resources = new ArrayList<>();
    private TestServer nodeA;
    private TestServer nodeB;

    @BeforeEach
    void startCluster() throws Exception {
        database = TestDatabase.mariadb();
        String prefix = "switchboard-test-" + UUID.randomUUID().toString().substring(0, 8);
        nodeA = node("node-a", prefix);
        nodeB = node("node-b", prefix);
    }

    private TestServer node(String nodeId, String prefix) throws InterruptedException {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("store.url", database.url());
        overrides.put("cluster.mode", "redis");
        overrides.put("cluster.nodeId", nodeId);
        overrides.put("cluster.keyPrefix", prefix);
        TestServer server = TestServer.start(dataDirectory.resolve(nodeId), overrides);
        resources.add(server);
        return server;
    }

    @AfterEach
    void stopCluster() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
        database.close();
    }

    private TestClient client(TestServer node, String user, String device) {
        TestClient client = TestClient.connect(node.webSocketUri(), user, device);
        resources.add(client);
        return client;
    }

    @Test
    void directMessages_crossNodes_toEveryDevice() throws Exception {
        TestClient alice = client(nodeA, "alice", "phone");
        TestClient bobOnA = client(nodeA, "bob", "laptop");
        TestClient bobOnB = client(nodeB, "bob", "phone");
        TestClient aliceOnB = client(nodeB, "alice", "tablet");
        await().atMost(WAIT).until(() -> isOnline(alice, "bob"));

        List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            sends.add(alice.sdk().send(Target.user("bob"), i, "x-" + i));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        List<String> expected = IntStream.range(0, 50).mapToObj(i -> "x-" + i).toList();
        for (TestClient device : List.of(alice, bobOnA, bobOnB, aliceOnB)) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(device.receivedClientIds())
                    .as("%s/%s", device.sdk().userId(), device.sdk().deviceId()).containsExactlyElementsOf(expected));
        }
    }

    @Test
    void groupMessages_reachMembersOnBothNodes() throws Exception {
        TestClient alice = client(nodeA, "alice", "phone");
        TestClient bob = client(nodeB, "bob", "phone");
        TestClient carol = client(nodeB, "carol", "phone");
        alice.sdk().createGroup("crew", "Crew", List.of("bob", "carol")).get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> isOnline(alice, "bob") && isOnline(alice, "carol"));

        for (int i = 0; i < 20; i++) {
            bob.sdk().send(Target.group("crew"), i, "g-" + i);
        }
        List<String> expected = IntStream.range(0, 20).mapToObj(i -> "g-" + i).toList();
        for (TestClient member : List.of(alice, bob, carol)) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(member.receivedClientIds())
                    .as(member.sdk().userId()).containsExactlyElementsOf(expected));
        }
    }

    @Test
    void presence_isClusterWide_andReadinessReportsRedis() throws Exception {
        TestClient alice = client(nodeA, "alice", "phone");
        TestClient bob = client(nodeB, "bob", "phone");
        await().atMost(WAIT).until(() -> isOnline(alice, "bob"));
        bob.close();
        await().atMost(WAIT).until(() -> !isOnline(alice, "bob"));

        RawWebSocket.HttpAnswer ready = RawWebSocket.httpGet(nodeB.port(), "/health/ready");
        assertThat(ready.status()).isEqualTo(200);
        assertThat(ready.body()).contains("\"redis\":\"up\"").contains("\"subscription\":\"up\"")
                .contains("\"node\":\"node-b\"");
    }

    private static boolean isOnline(TestClient asker, String user) throws Exception {
        ObjectNode query = JsonNodeFactory.instance.objectNode();
        query.putArray("users").add(user);
        return asker.sdk().request("presence.query", query).get(10, TimeUnit.SECONDS).get("online").get(user).asBoolean();
    }
}
