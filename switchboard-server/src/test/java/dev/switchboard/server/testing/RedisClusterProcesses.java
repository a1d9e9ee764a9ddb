package dev.switchboard.server.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * A private Redis Cluster for a test: {@code masters} redis-server processes that split the 16,384
 * slots in equal ranges, in order, and with {@code withReplicas} one replica each, which the cluster
 * promotes when its master dies. Formed by hand ({@code CLUSTER MEET}, {@code ADDSLOTSRANGE},
 * {@code REPLICATE}), as {@code redis-cli --cluster create} would, and returned once every node says
 * {@code cluster_state:ok} and every replica is in sync. Nothing persisted; closing stops every process.
 */
public final class RedisClusterProcesses implements AutoCloseable {
    public static final int SLOTS = 16_384;
    private static final Duration FORMATION_TIMEOUT = Duration.ofSeconds(30);

    private final List<RedisProcess> masters = new ArrayList<>();
    private final List<RedisProcess> replicas = new ArrayList<>();

    private RedisClusterProcesses() {
    }

    public static RedisClusterProcesses start(Path directory, int masters, boolean withReplicas) throws IOException {
        RedisClusterProcesses cluster = new RedisClusterProcesses();
        try {
            for (int i = 0; i < masters; i++) {
                cluster.masters.add(RedisProcess.startClusterNode(directory.resolve("master-" + i)));
                if (withReplicas) {
                    cluster.replicas.add(RedisProcess.startClusterNode(directory.resolve("replica-" + i)));
                }
            }
            cluster.form();
            return cluster;
        } catch (IOException | RuntimeException e) {
            cluster.close();
            throw e;
        }
    }

    private void form() throws IOException {
        RedisProcess first = masters.get(0);
        for (RedisProcess node : all()) {
            if (node != first) {
                String busPort = first.command("CONFIG", "GET", "cluster-port").split("\n")[1];
                node.command("CLUSTER", "MEET", "127.0.0.1", String.valueOf(first.port()), busPort);
            }
        }
        for (int i = 0; i < masters.size(); i++) {
            masters.get(i).command("CLUSTER", "ADDSLOTSRANGE", String.valueOf(firstSlot(i)), String.valueOf(firstSlot(i + 1) - 1));
        }
        int nodes = all().size();
        await().atMost(FORMATION_TIMEOUT).until(() -> everyNode(node -> node.command("CLUSTER", "NODES").lines().count() == nodes));
        for (int i = 0; i < replicas.size(); i++) {
            replicas.get(i).command("CLUSTER", "REPLICATE", masters.get(i).command("CLUSTER", "MYID"));
        }
        await().atMost(FORMATION_TIMEOUT).until(() -> everyNode(node -> node.command("CLUSTER", "INFO").contains("cluster_state:ok")));
        for (RedisProcess replica : replicas) {
            await().atMost(FORMATION_TIMEOUT).until(() -> replica.command("INFO", "replication").contains("master_link_status:up"));
        }
    }

    /** The first slot of master {@code index} (for {@code index == masters} the slot count). */
    public int firstSlot(int index) {
        return index * SLOTS / masters.size();
    }

    /** The master whose range holds {@code slot} at the start, before any failover. */
    public RedisProcess masterOfSlot(int slot) {
        return masters.get(slot * masters.size() / SLOTS);
    }

    /** The replica of master {@code index}. */
    public RedisProcess replicaOf(RedisProcess master) {
        return replicas.get(masters.indexOf(master));
    }

    public List<RedisProcess> masters() {
        return masters;
    }

    /** Every node, masters first. */
    public List<RedisProcess> all() {
        List<RedisProcess> all = new ArrayList<>(masters);
        all.addAll(replicas);
        return all;
    }

    /** The masters, as {@code cluster.redisUri} names a Redis Cluster: {@code redis://127.0.0.1:p1,127.0.0.1:p2,…}. */
    public String uri() {
        return "redis://" + masters.stream().map(node -> "127.0.0.1:" + node.port()).collect(Collectors.joining(","));
    }

    private interface NodeCheck {
        boolean test(RedisProcess node) throws IOException;
    }

    private boolean everyNode(NodeCheck check) throws IOException {
        for (RedisProcess node : all()) {
            if (node.isRunning() && !check.test(node)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (RedisProcess node : all()) {
            node.close();
        }
    }
}
