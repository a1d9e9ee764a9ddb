package dev.switchboard.server.cluster;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@link Broker} inside one JVM: envelopes are handed to the target node's handler directly. Serves
 * several nodes only when they share one instance (tests); a real cluster uses {@link RedisBroker}.
 */
public final class MemoryBroker implements Broker {
    private final Map<String, Consumer<Envelope>> handlers = new ConcurrentHashMap<>();
    private String nodeId;

    @Override
    public void start(String nodeId, Consumer<Envelope> handler) {
        this.nodeId = nodeId;
        handlers.put(nodeId, handler);
    }

    @Override
    public CompletionStage<Void> publish(String nodeId, Envelope envelope) {
        Consumer<Envelope> handler = handlers.get(nodeId);
        if (handler != null) {
            handler.accept(envelope);
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public boolean isSubscribed() {
        return nodeId != null && handlers.containsKey(nodeId);
    }

    @Override
    public void close() {
        if (nodeId != null) {
            handlers.remove(nodeId);
        }
    }
}
