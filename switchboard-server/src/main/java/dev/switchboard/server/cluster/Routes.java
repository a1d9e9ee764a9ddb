package dev.switchboard.server.cluster;

import dev.switchboard.server.presence.Presence;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Where users are connected: user id → node ids, cluster-wide. Routes expire unless refreshed, so a
 * node that dies disappears from them by itself. Also answers presence (a user with any live route
 * is online).
 */
public interface Routes extends Presence, AutoCloseable {

    /** This node's id. */
    String nodeId();

    /** A connection of {@code userId} opened on this node. Idempotent; returns at once. */
    void userConnected(String userId);

    /** The last connection of {@code userId} on this node closed. Returns at once. */
    void userDisconnected(String userId);

    /**
     * The other nodes that hold connections of these users, as node id → users on that node.
     * May be slightly stale: delivery through it is best effort, the store is the truth.
     */
    CompletableFuture<Map<String, List<String>>> remoteNodesOf(Collection<String> userIds);

    /**
     * Re-announces every user connected here after the route store may have lost its data (a Redis
     * restart), retrying until the route store has acknowledged all of it. Completes then — callers
     * wait for it before re-reading inboxes, so other nodes already route to this one again.
     */
    default CompletableFuture<Void> restore() {
        return CompletableFuture.completedFuture(null);
    }

    /** True while the route store can be reached. */
    boolean isHealthy();

    /** Removes this node's routes and heartbeat (graceful shutdown). */
    @Override
    void close();
}
