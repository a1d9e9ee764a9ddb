package dev.switchboard.bench.peer;

import io.netty.channel.Channel;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.EventExecutor;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Who is connected: the connections of each user and the subscribers of each topic, in memory.
 * A {@link ChannelGroup} drops a channel by itself when it closes, as Bun drops a closed socket's
 * subscriptions. Empty groups are kept (the peers' benchmark reuses its few user and topic names).
 */
final class PeerDirectory {
    private final EventExecutor groupExecutor;
    private final Map<String, ChannelGroup> users = new ConcurrentHashMap<>();
    private final Map<String, ChannelGroup> topics = new ConcurrentHashMap<>();

    PeerDirectory(EventExecutor groupExecutor) {
        this.groupExecutor = groupExecutor;
    }

    void connect(String user, Channel channel) {
        users.computeIfAbsent(user, this::newGroup).add(channel);
    }

    void subscribe(String topic, Channel channel) {
        topics.computeIfAbsent(topic, this::newGroup).add(channel);
    }

    /** The user's open connections, or null if the user never connected. */
    ChannelGroup user(String user) {
        return users.get(user);
    }

    /** The topic's subscribers, or null if nobody ever subscribed. */
    ChannelGroup topic(String topic) {
        return topics.get(topic);
    }

    private ChannelGroup newGroup(String name) {
        return new DefaultChannelGroup(name, groupExecutor);
    }
}
