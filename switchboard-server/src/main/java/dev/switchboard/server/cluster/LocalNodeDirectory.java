package dev.switchboard.server.cluster;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@link NodeDirectory} of a single node. */
final class LocalNodeDirectory implements NodeDirectory {
    private volatile NodeStats latest;

    @Override
    public void publish(NodeStats stats) {
        latest = stats;
    }

    @Override
    public CompletableFuture<List<NodeStats>> nodes() {
        NodeStats stats = latest;
        return CompletableFuture.completedFuture(stats == null ? List.of() : List.of(stats));
    }
}
