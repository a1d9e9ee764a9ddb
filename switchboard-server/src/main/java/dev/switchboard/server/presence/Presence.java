package dev.switchboard.server.presence;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Whether users are online (at least one live connection, any device). Answers may be slightly
 * stale in a cluster (routes are refreshed in batches); never used for delivery decisions, which
 * the store and resume make exact.
 */
public interface Presence {

    /** For each of {@code userIds}: true when online. Completes on any thread; must not block the caller. */
    CompletableFuture<Map<String, Boolean>> online(Collection<String> userIds);
}
