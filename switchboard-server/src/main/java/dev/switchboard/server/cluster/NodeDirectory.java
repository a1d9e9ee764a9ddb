package dev.switchboard.server.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Every live node's latest {@link NodeStats}: this node's alone for a single node, a Redis hash for a cluster. */
public interface NodeDirectory {

    /** Records this node's stats (called every second). */
    void publish(NodeStats stats);

    /** The stats of every node that reported recently, ordered by node id. */
    CompletableFuture<List<NodeStats>> nodes();
}
