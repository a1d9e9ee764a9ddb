package dev.switchboard.server.cluster;

import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/** {@link ControlBus} of a single node: commands go straight to the handler. */
final class LocalControlBus implements ControlBus {
    private volatile Consumer<ControlCommand> handler = command -> { };

    @Override
    public void start(Consumer<ControlCommand> handler) {
        this.handler = handler;
    }

    @Override
    public CompletableFuture<Void> publish(ControlCommand command) {
        handler.accept(command);
        return CompletableFuture.completedFuture(null);
    }
}
