package dev.switchboard.server.cluster;

import dev.switchboard.server.metrics.ServerMetrics;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The node's two Redis connections — one for commands, one for pub/sub — on one Lettuce client with
 * automatic reconnection. Lettuce also takes {@code redis-sentinel://} URIs for Sentinel setups.
 * Keys are strings, values raw bytes.
 */
final class RedisConnections implements AutoCloseable {
    private static final int REQUEST_QUEUE_SIZE = 100_000;
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> commands;
    private final StatefulRedisPubSubConnection<String, byte[]> pubSub;
    private volatile boolean commandsConnected = true;

    private final ServerMetrics metrics;

    RedisConnections(String uri, ServerMetrics metrics) {
        this.metrics = metrics;
        client = RedisClient.create(uri);
        // Bounded: while Redis is away, commands fail at once instead of queueing without limit.
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(5))).build());
        commands = client.connect(CODEC);
        pubSub = client.connectPubSub(CODEC);
        commands.addListener(new RedisConnectionStateListener() {
            @Override
            public void onRedisConnected(RedisChannelHandler<?, ?> connection, SocketAddress address) {
                commandsConnected = true;
            }

            @Override
            public void onRedisDisconnected(RedisChannelHandler<?, ?> connection) {
                commandsConnected = false;
            }
        });
    }

    StatefulRedisConnection<String, byte[]> commands() {
        return commands;
    }

    StatefulRedisPubSubConnection<String, byte[]> pubSub() {
        return pubSub;
    }

    /**
     * Records the command's latency and failure in the Redis metrics; returns the same stage as a
     * CompletableFuture.
     */
    <T> CompletableFuture<T> timed(CompletionStage<T> command) {
        long start = System.nanoTime();
        return command.toCompletableFuture().whenComplete((result, error) ->
                metrics.redisAnswered(System.nanoTime() - start, error != null));
    }

    /** True while the command connection is up. */
    boolean isConnected() {
        return commandsConnected && commands.isOpen();
    }

    @Override
    public void close() {
        pubSub.close();
        commands.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
