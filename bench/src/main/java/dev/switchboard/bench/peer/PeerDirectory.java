package dev.switchboard.bench.peer;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is connected: the connections of each user and the subscribers of each topic, in memory. A
 * {@link ChannelGroup} drops a channel by itself when it closes, as Bun drops a closed socket's
 * subscriptions; a group left empty by a close is then removed, as the Bun peer removes a user with
 * no connections left. Adding and removing happen inside the map's {@code compute}, so a channel is
 * never added to a group another event loop has just removed.
 */
final class PeerDirectory {
    private final EventExecutor groupExecutor;
    private final Map<String, ChannelGroup> users = new ConcurrentHashMap<>();
    private final Map<String, ChannelGroup> topics = new ConcurrentHashMap<>();

    PeerDirectory(EventExecutor groupExecutor) {
        this.groupExecutor = groupExecutor;
    }

    void connect(String user, Channel channel) {
        join(users, user, channel);
    }

    void subscribe(String topic, Channel channel) {
        join(topics, topic, channel);
    }

    /** The user's open connections, or null if none is open. */
    ChannelGroup user(String user) {
        return users.get(user);
    }

    /** The topic's subscribers, or null if none is connected. */
    ChannelGroup topic(String topic) {
        return topics.get(topic);
    }

    /** How many users and topics have a group (those with a connection or subscriber, and empty ones not yet removed). */
    int groups() {
        return users.size() + topics.size();
    }

    private void join(Map<String, ChannelGroup> groups, String name, Channel channel) {
        groups.compute(name, (key, group) -> {
            ChannelGroup joined = group != null ? group : new DefaultChannelGroup(key, groupExecutor);
            joined.add(channel);
            return joined;
        });
        // Registered after the group's own listener (in add), so it runs after the group dropped the channel.
        channel.closeFuture().addListener(closed -> groups.computeIfPresent(name, (key, group) -> group.isEmpty() ? null : group));
    }
}
