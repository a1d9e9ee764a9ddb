package dev.switchboard.server.metrics;

import dev.switchboard.server.cluster.NodeDirectory;
import dev.switchboard.server.cluster.NodeStats;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.topic.TopicHub;
import java.util.List;

/**
 * Once a second: turns this node's counters into rates and publishes them with the connection
 * counts to the {@link NodeDirectory}, where the admin view reads every node's.
 */
public final class NodeStatsSampler {
    private static final int EVENTS_PER_NODE = 20;

    private final String nodeId;
    private final ServerMetrics metrics;
    private final ConnectionRegistry registry;
    private final TopicHub topics;
    private final NodeDirectory directory;
    private final long startedAtNanos = System.nanoTime();
    private ServerMetrics.Totals previous;
    private long previousNanos;

    public NodeStatsSampler(String nodeId, ServerMetrics metrics, ConnectionRegistry registry, TopicHub topics,
                            NodeDirectory directory) {
        this.nodeId = nodeId;
        this.metrics = metrics;
        this.registry = registry;
        this.topics = topics;
        this.directory = directory;
    }

    /** Takes one sample and publishes it; called by one scheduler thread. */
    public synchronized void sample() {
        ServerMetrics.Totals totals = metrics.totals();
        long now = System.nanoTime();
        double inRate = 0;
        double outRate = 0;
        if (previous != null && now > previousNanos) {
            double seconds = (now - previousNanos) / 1e9;
            inRate = (totals.messagesIn() - previous.messagesIn()) / seconds;
            outRate = (totals.messagesOut() - previous.messagesOut()) / seconds;
        }
        previous = totals;
        previousNanos = now;
        List<NodeStats.NodeEvent> events = metrics.events().snapshot().stream().limit(EVENTS_PER_NODE)
                .map(event -> new NodeStats.NodeEvent(event.at(), event.kind(), event.userId(), event.connectionId(), event.reason()))
                .toList();
        directory.publish(new NodeStats(nodeId, registry.size(), registry.userCount(), topics.subscriptionCount(),
                round(inRate), round(outRate), round(totals.latencyP50Millis()), round(totals.latencyP99Millis()),
                totals.slowConsumerCloses(), totals.kicks(),
                (System.nanoTime() - startedAtNanos) / 1_000_000_000L, System.currentTimeMillis(), events));
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
