package dev.switchboard.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.Channel;
import io.netty.channel.DefaultChannelId;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.group.ChannelGroup;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The directory's groups follow the channels in them: a close drops the channel, and an emptied group. */
class PeerDirectoryTest {
    private final EmbeddedChannel groupLoop = new EmbeddedChannel();
    private final PeerDirectory directory = new PeerDirectory(groupLoop.eventLoop());

    /** A channel with an id of its own (every EmbeddedChannel has the same one by default, and a group keys by id). */
    private static EmbeddedChannel channel() {
        return new EmbeddedChannel(DefaultChannelId.newInstance());
    }

    /** A group's channels (a ChannelGroup is also Comparable, which AssertJ cannot choose between). */
    private static Set<Channel> members(ChannelGroup group) {
        return group == null ? null : Set.copyOf(group);
    }

    @Test
    void aUserWithTwoConnections_staysUntilBothClose() {
        EmbeddedChannel phone = channel();
        EmbeddedChannel laptop = channel();
        directory.connect("bob", phone);
        directory.connect("bob", laptop);

        phone.close();
        assertThat(members(directory.user("bob"))).containsExactly(laptop);

        laptop.close();
        assertThat(members(directory.user("bob"))).isNull();
        assertThat(directory.groups()).isZero();
    }

    @Test
    void aTopic_isRemovedWithItsLastSubscriber_andTheSubscriberStaysAUser() {
        EmbeddedChannel first = channel();
        EmbeddedChannel second = channel();
        directory.connect("a", first);
        directory.subscribe("news", first);
        directory.subscribe("news", second);

        second.close();
        assertThat(members(directory.topic("news"))).containsExactly(first);

        first.close();
        assertThat(members(directory.topic("news"))).isNull();
        assertThat(members(directory.user("a"))).isNull();
    }

    @Test
    void aChannelJoiningAfterAGroupEmptied_getsAGroupThatHoldsIt() {
        EmbeddedChannel gone = channel();
        directory.subscribe("t", gone);
        gone.close();

        EmbeddedChannel next = channel();
        directory.subscribe("t", next);

        assertThat(members(directory.topic("t"))).containsExactly(next);
    }
}
