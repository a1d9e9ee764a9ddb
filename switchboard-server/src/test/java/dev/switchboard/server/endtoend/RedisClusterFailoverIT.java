package dev.switchboard.server.endtoend;

import static dev.switchboard.server.testing.ChatSteps.isReady;
import static dev.switchboard.server.testing.ChatSteps.resumed;
import static dev.switchboard.server.testing.ChatSteps.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.store.TestDatabase;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.RedisClusterProcesses;
import dev.switchboard.server.testing.RedisProcess;
import dev.switchboard.server.testing.TestResources;
import dev.switchboard.server.testing.TestServer;
import io.lettuce.core.cluster.SlotHash;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R9 with a Redis Cluster losing a master: three masters with a replica each, two gateway nodes. The
 * master that serves node B's channel (a shard channel) and the recipient's routes is killed
 * (SIGKILL); the cluster promotes its replica. A message sent right after the kill, before the
 * cluster has promoted anyone, is stored and reaches the recipient once node B has subscribed again,
 * on the promoted master; later messages arrive live again, and the readiness of both nodes comes back.
 */
class RedisClusterFailoverIT {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path directory;
    private final TestResources resources = new TestResources();
    private TestDatabase database;
    private RedisClusterProcesses redisCluster;
    private final String prefix = "switchboard-failover-" + UUID.randomUUID().toString().substring(0, 8);

    @BeforeEach
    void start() throws Exception {
        database = TestDatabase.mariadb();
        redisCluster = RedisClusterProcesses.start(directory.resolve("redis"), 3, true);
        resources.add(redisCluster);
    }

    @AfterEach
    void stopEverything() throws Exception {
        try {
            resources.close();
        } finally {
            if (database != null) {
                database.close();
            }
        }
    }

    @Test
    void aKilledMaster_isReplacedByItsReplica_andNoMessageIsLost() throws Exception {
        TestServer nodeA = node("node-a");
        TestServer nodeB = node("node-b");
        // Node B's channel is a shard channel, subscribed on the master of its slot: that master dies,
        // and it holds bob's routes too.
        String channelOfB = prefix + ":deliver:{node-b}";
        RedisProcess master = redisCluster.masterOfSlot(SlotHash.getSlot(channelOfB));
        assertThat(shardSubscribers(master, channelOfB)).as("node B's subscription, on its slot's master").isEqualTo(1);
        String bob = userWhoseRoutesAreOn(master);
        RawWebSocket alice = resumed(resources, nodeA, "alice");
        RawWebSocket bobOnB = resumed(resources, nodeB, bob);
        send(alice, bob, "before", "m-1");
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText()).as("live, across nodes").isEqualTo("before");

        master.kill();
        send(alice, bob, "during", "m-2"); // stored at once: the store is MariaDB; its live delivery may fail
        await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> !isReady(nodeB)); // its channel's subscription is gone

        RedisProcess promoted = redisCluster.replicaOf(master);
        await().atMost(WAIT).until(() -> promoted.command("ROLE").startsWith("master"));
        await().atMost(WAIT).until(() -> isReady(nodeA) && isReady(nodeB));
        assertThat(shardSubscribers(promoted, channelOfB)).as("node B subscribed again, on the promoted master").isEqualTo(1);
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText())
                .as("the message sent while the cluster failed over: caught up from the store").isEqualTo("during");

        send(alice, bob, "after", "m-3");
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText()).as("live again").isEqualTo("after");
        assertThat(promoted.command("HEXISTS", prefix + ":routes:" + bob, "node-b"))
                .as("bob's route, on the promoted master").isEqualTo("1");
    }

    /**
     * The master that dies holds the recipient's routes but not node B's channel: node B's own
     * subscription stays, and the message sent meanwhile (whose route lookup waits for the dead master)
     * still reaches the recipient once the cluster has promoted the replica, which every node notices
     * and answers by re-announcing its routes and catching up its connections from the store.
     */
    @Test
    void aKilledMasterHoldingOnlyTheRecipientsRoutes_losesNoMessageEither() throws Exception {
        TestServer nodeA = node("node-a");
        TestServer nodeB = node("node-b");
        RedisProcess channelsMaster = redisCluster.masterOfSlot(SlotHash.getSlot(prefix + ":deliver:{node-b}"));
        RedisProcess master = redisCluster.masters().stream().filter(candidate -> candidate != channelsMaster).findFirst().orElseThrow();
        String bob = userWhoseRoutesAreOn(master);
        RawWebSocket alice = resumed(resources, nodeA, "alice");
        RawWebSocket bobOnB = resumed(resources, nodeB, bob);

        master.kill();
        send(alice, bob, "during", "m-1");

        RedisProcess promoted = redisCluster.replicaOf(master);
        await().atMost(WAIT).until(() -> promoted.command("ROLE").startsWith("master"));
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText())
                .as("caught up once the cluster failed over").isEqualTo("during");
        await().atMost(WAIT).until(() -> promoted.command("HEXISTS", prefix + ":routes:" + bob, "node-b").equals("1"));
        send(alice, bob, "after", "m-2");
        assertThat(bobOnB.receiveType("message").get("message").get("body").asText()).as("live").isEqualTo("after");
    }

    /**
     * A resharding: the slot of node B's channel moves to another master ({@code CLUSTER SETSLOT},
     * its keys migrated), and node B's subscription follows it there; messages arrive live after it.
     */
    @Test
    void aSlotMovedToAnotherMaster_takesTheSubscriptionWithIt() throws Exception {
        TestServer nodeA = node("node-a");
        TestServer nodeB = node("node-b");
        String channelOfB = prefix + ":deliver:{node-b}";
        int slot = SlotHash.getSlot(channelOfB);
        RedisProcess from = redisCluster.masterOfSlot(slot);
        RedisProcess to = redisCluster.masters().stream().filter(master -> master != from).findFirst().orElseThrow();
        RawWebSocket alice = resumed(resources, nodeA, "alice");
        RawWebSocket bob = resumed(resources, nodeB, "bob");
        send(alice, "bob", "before", "m-1");
        assertThat(bob.receiveType("message").get("message").get("body").asText()).isEqualTo("before");

        String fromId = from.command("CLUSTER", "MYID");
        String toId = to.command("CLUSTER", "MYID");
        to.command("CLUSTER", "SETSLOT", String.valueOf(slot), "IMPORTING", fromId);
        from.command("CLUSTER", "SETSLOT", String.valueOf(slot), "MIGRATING", toId);
        for (String key : from.command("CLUSTER", "GETKEYSINSLOT", String.valueOf(slot), "1000").lines().filter(line -> !line.isEmpty()).toList()) {
            from.command("MIGRATE", "127.0.0.1", String.valueOf(to.port()), key, "0", "5000");
        }
        for (RedisProcess master : redisCluster.masters()) {
            master.command("CLUSTER", "SETSLOT", String.valueOf(slot), "NODE", toId);
        }

        await().atMost(WAIT).until(() -> shardSubscribers(to, channelOfB) == 1 && shardSubscribers(from, channelOfB) == 0);
        await().atMost(WAIT).until(() -> isReady(nodeA) && isReady(nodeB));
        send(alice, "bob", "after", "m-2");
        assertThat(bob.receiveType("message").get("message").get("body").asText()).as("live, through the slot's new master").isEqualTo("after");
    }

    private static long shardSubscribers(RedisProcess redis, String channel) throws IOException {
        return Long.parseLong(redis.command("PUBSUB", "SHARDNUMSUB", channel).split("\n")[1]);
    }

    private TestServer node(String nodeId) throws InterruptedException {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("store.url", database.url());
        overrides.put("cluster.mode", "redis-cluster");
        overrides.put("cluster.redisUri", redisCluster.uri());
        overrides.put("cluster.nodeId", nodeId);
        overrides.put("cluster.keyPrefix", prefix);
        TestServer server = TestServer.start(directory.resolve(nodeId), overrides);
        resources.add(server);
        return server;
    }

    private String userWhoseRoutesAreOn(RedisProcess master) {
        for (int n = 0; ; n++) {
            String user = "bob" + n;
            if (redisCluster.masterOfSlot(SlotHash.getSlot(prefix + ":routes:" + user)) == master) {
                return user;
            }
        }
    }

}
