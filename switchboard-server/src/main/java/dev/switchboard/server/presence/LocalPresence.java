package dev.switchboard.server.presence;

import dev.switchboard.server.registry.ConnectionRegistry;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@link Presence} of a single node: this node's registry is the whole truth, answered at once.
 * A cluster needs a shared view (routes in Redis) instead.
 */
public final class LocalPresence implements Presence {
    private final ConnectionRegistry registry;

    public LocalPresence(ConnectionRegistry registry) {
        this.registry = registry;
    }

    @Override
    public CompletableFuture<Map<String, Boolean>> online(Collection<String> userIds) {
        Map<String, Boolean> online = new LinkedHashMap<>();
        for (String userId : userIds) {
            online.put(userId, !registry.connectionsOf(userId).isEmpty());
        }
        return CompletableFuture.completedFuture(online);
    }
}
