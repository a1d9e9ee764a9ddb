package dev.switchboard.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

/** The channel names on one Redis (as before Redis Cluster support) and on a Redis Cluster (shard channels). */
class RedisKeysTest {
    private final RedisKeys single = new RedisKeys("sb");
    private final RedisKeys sharded = new RedisKeys("sb", true);

    @Test
    void onOneRedis_theChannelsKeepTheirNames_soNodesOfTheVersionBeforeStillMeet() {
        assertThat(single.nodeChannel("node-1")).isEqualTo("sb:deliver:node-1");
        assertThat(single.topicChannel("match.1")).isEqualTo("sb:topic-channel:match.1");
        assertThat(single.topicOfChannel("sb:topic-channel:match.1")).isEqualTo("match.1");
        assertThat(single.topicOfChannel("sb:deliver:node-1")).isNull();
    }

    @Test
    void onARedisCluster_aTopicsChannelSharesTheSlotOfItsKeys_andANodesChannelIsTaggedByTheNode() {
        assertThat(SlotHash.getSlot(sharded.topicChannel("match.1"))).isEqualTo(SlotHash.getSlot(sharded.topicMeta("match.1")))
                .isEqualTo(SlotHash.getSlot(sharded.topicHistory("match.1")));
        assertThat(sharded.nodeChannel("node-1")).isEqualTo("sb:deliver:{node-1}");
        assertThat(sharded.topicOfChannel(sharded.topicChannel("match.1"))).isEqualTo("match.1");
        assertThat(sharded.topicOfChannel(sharded.topicChannel("a}b"))).isEqualTo("a}b");
        assertThat(sharded.topicOfChannel("sb:topic:{}:channel")).as("no topic inside").isNull();
        assertThat(sharded.topicOfChannel(sharded.nodeChannel("node-1"))).isNull();
        assertThat(sharded.topicOfChannel(sharded.controlChannel())).isNull();
    }
}
