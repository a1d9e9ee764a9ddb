package dev.switchboard.server.cluster;

import dev.switchboard.server.presence.LocalPresence;
import dev.switchboard.server.registry.ConnectionRegistry;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@link Routes} of a single node: there are no other nodes, and this node's registry answers
 * presence. For a cluster use {@link RedisRoutes}.
 */
public final class LocalRoutes implements Routes {
    private final LocalPresence presence;

    public LocalRoutes(ConnectionRegistry registry) {
        this.presence = new LocalPresence(registry);
    }

    @Override
    public String nodeId() {
        return "local";
    }

    @Override
    public void userConnected(String userId) {
    }

    @Override
    public void userDisconnected(String userId) {
    }

    @Override
    public CompletableFuture<Map<String, List<String>>> remoteNodesOf(Collection<String> userIds) {
        return CompletableFuture.completedFuture(Map.of());
    }

    @Override
    public CompletableFuture<Map<String, Boolean>> online(Collection<String> userIds) {
        return presence.online(userIds);
    }

    @Override
    public boolean isHealthy() {
        return true;
    }

    @Override
    public void close() {
    }
}
