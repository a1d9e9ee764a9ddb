package dev.switchboard.server.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Node-wide instructions (kick, ban) reaching every node, the sender included. In-process for a
 * single node, a Redis channel for a cluster. At most once, like the {@link Broker}: bans are also
 * re-read from the store periodically, so a node that missed one catches up.
 */
public interface ControlBus {

    /** Starts handing commands to {@code handler} (any thread; must not block). */
    void start(Consumer<ControlCommand> handler);

    /** Sends to every node; completes when handed to the transport. */
    CompletableFuture<Void> publish(ControlCommand command);
}
