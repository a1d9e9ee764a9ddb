package dev.switchboard.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode.NodeFlag;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/** Readiness over a Redis Cluster: ready while every slot has a master the cluster has not marked failed. */
class RedisClusterReadinessTest {
    @Test
    void ready_whenTheMastersServeEverySlot() {
        assertThat(RedisConnections.everySlotServed(partitions(
                master("a", 0, 5461, NodeFlag.MASTER), master("b", 5461, 10923, NodeFlag.MASTER),
                master("c", 10923, 16384, NodeFlag.MASTER), replica("d", "a")))).isTrue();
    }

    @Test
    void notReady_whileAMasterHasFailed() {
        assertThat(RedisConnections.everySlotServed(partitions(
                master("a", 0, 5461, NodeFlag.MASTER), master("b", 5461, 10923, NodeFlag.MASTER, NodeFlag.FAIL),
                master("c", 10923, 16384, NodeFlag.MASTER)))).isFalse();
    }

    @Test
    void stillReady_whileAMasterIsOnlySuspected_soABusGlitchTakesNoNodeOut() {
        assertThat(RedisConnections.everySlotServed(partitions(
                master("a", 0, 5461, NodeFlag.MASTER), master("b", 5461, 10923, NodeFlag.MASTER, NodeFlag.EVENTUAL_FAIL),
                master("c", 10923, 16384, NodeFlag.MASTER)))).isTrue();
    }

    @Test
    void notReady_whenTwoMastersClaimTheSameSlots_andOthersAreUnserved() {
        assertThat(RedisConnections.everySlotServed(partitions(
                master("a", 0, 10923, NodeFlag.MASTER), master("b", 0, 10923, NodeFlag.MASTER)))).isFalse();
    }

    @Test
    void ready_againOnceTheReplicaHasTakenTheFailedMastersSlots() {
        // What CLUSTER NODES shows after a failover: the old master failing and without slots, its replica a master.
        assertThat(RedisConnections.everySlotServed(partitions(
                master("a", 0, 5461, NodeFlag.MASTER), master("b", 0, 0, NodeFlag.MASTER, NodeFlag.FAIL),
                master("c", 10923, 16384, NodeFlag.MASTER), master("d", 5461, 10923, NodeFlag.MASTER)))).isTrue();
    }

    @Test
    void notReady_whenSlotsAreUnassigned() {
        assertThat(RedisConnections.everySlotServed(partitions(
                master("a", 0, 5461, NodeFlag.MASTER), master("c", 10923, 16384, NodeFlag.MASTER)))).isFalse();
        assertThat(RedisConnections.everySlotServed(new Partitions())).as("no view of the cluster yet").isFalse();
    }

    private static Partitions partitions(RedisClusterNode... nodes) {
        Partitions partitions = new Partitions();
        for (RedisClusterNode node : nodes) {
            partitions.addPartition(node);
        }
        partitions.updateCache();
        return partitions;
    }

    /** A master serving the slots [from, to). */
    private static RedisClusterNode master(String id, int from, int to, NodeFlag... flags) {
        List<Integer> slots = new ArrayList<>(IntStream.range(from, to).boxed().toList());
        return new RedisClusterNode(RedisURI.create("redis://127.0.0.1:7000"), id, true, null, 0, 0, 0, slots, Set.of(flags));
    }

    private static RedisClusterNode replica(String id, String masterId) {
        return new RedisClusterNode(RedisURI.create("redis://127.0.0.1:7001"), id, true, masterId, 0, 0, 0, List.of(),
                Set.of(NodeFlag.REPLICA));
    }
}
