package dev.switchboard.server.cluster;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@link ControlBus} on one Redis pub/sub channel that every node subscribes to; commands are JSON. */
final class RedisControlBus implements ControlBus {
    private static final Logger log = LoggerFactory.getLogger(RedisControlBus.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final RedisConnections redis;
    private final RedisKeys keys;

    RedisControlBus(RedisConnections redis, RedisKeys keys) {
        this.redis = redis;
        this.keys = keys;
    }

    @Override
    public void start(Consumer<ControlCommand> handler) {
        String channel = keys.controlChannel();
        redis.subscriptions().addListener((from, message) -> {
            if (!channel.equals(from)) {
                return;
            }
            ControlCommand command;
            try {
                command = JSON.readValue(message, ControlCommand.class);
            } catch (IOException e) {
                log.atWarn().setMessage("dropping malformed control command").addKeyValue("error", e.getMessage()).log();
                return;
            }
            handler.accept(command);
        });
        RedisConnections.await(redis.subscriptions().subscribe(channel), "the control channel");
    }

    @Override
    public CompletableFuture<Void> publish(ControlCommand command) {
        try {
            return redis.publish(keys.controlChannel(), JSON.writeValueAsBytes(command)).thenApply(receivers -> null);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }
}
