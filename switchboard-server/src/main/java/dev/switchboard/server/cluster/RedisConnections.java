package dev.switchboard.server.cluster;

import dev.switchboard.server.metrics.ServerMetrics;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.lettuce.core.resource.Transports;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.SocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's two Redis connections — one for commands, one for pub/sub — on one Lettuce client with
 * automatic reconnection. Lettuce also takes {@code redis-sentinel://} URIs for Sentinel setups.
 * Keys are strings, values raw bytes.
 */
final class RedisConnections implements AutoCloseable {
    private static final int REQUEST_QUEUE_SIZE = 100_000;
    static final RedisCodec<String, byte[]> CODEC = RedisCodec.of(StringCodec.UTF8, ByteArrayCodec.INSTANCE);

    private static final Logger log = LoggerFactory.getLogger(RedisConnections.class);

    /**
     * One write to Redis per pass of the event loop, not per command. Lettuce flushes every command on
     * its own: in 10 s of the cluster throughput scenario (about 17,000 messages a second) its
     * connections made about 105,000 {@code sendto} calls, and Redis read them one by one.
     * {@link FlushConsolidationHandler} holds a flush until the loop has run the tasks queued with it
     * (commands handed over by other threads) or until a read from Redis completes, then sends them all
     * in one call; a command waits at most for the rest of the loop's current pass.
     */
    private static final NettyCustomizer FLUSH_PER_LOOP_PASS = new NettyCustomizer() {
        @Override
        public void afterChannelInitialized(Channel channel) {
            // First in the pipeline, next to the socket: it sees every flush of Lettuce's handlers.
            channel.pipeline().addFirst(new FlushConsolidationHandler(
                    FlushConsolidationHandler.DEFAULT_EXPLICIT_FLUSH_AFTER_FLUSHES, true));
        }
    };

    private final ClientResources resources;
    private final RedisClient client;
    private final StatefulRedisConnection<String, byte[]> commands;
    private final StatefulRedisPubSubConnection<String, byte[]> pubSub;
    private volatile boolean commandsConnected = true;

    private final ServerMetrics metrics;

    /** On Lettuce's own I/O threads (tests). */
    RedisConnections(String uri, ServerMetrics metrics) {
        this(uri, metrics, null);
    }

    /**
     * @param loops the node's I/O loops to run the connections on, or null (or loops of a transport other
     *              than Lettuce's) for Lettuce's own threads
     */
    RedisConnections(String uri, ServerMetrics metrics, SharedEventLoops loops) {
        this.metrics = metrics;
        RedisURI redisUri = RedisURI.create(uri); // a malformed uri fails here, before any of Lettuce's threads starts
        DefaultClientResources.Builder resourcesBuilder = DefaultClientResources.builder().nettyCustomizer(FLUSH_PER_LOOP_PASS);
        if (loops != null && loops.fitLettuce()) {
            resourcesBuilder.eventLoopGroupProvider(loops.provider());
        } else if (loops != null) {
            log.atWarn().setMessage("redis connections on threads of their own: Lettuce's transport is not the gateway's")
                    .addKeyValue("lettuce", Transports.socketChannelClass().getSimpleName())
                    .addKeyValue("gateway", loops.channelType().getSimpleName()).log();
        }
        resources = resourcesBuilder.build();
        client = RedisClient.create(resources, redisUri);
        // Bounded: while Redis is away, commands fail at once instead of queueing without limit.
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(Duration.ofSeconds(5))).build());
        StatefulRedisConnection<String, byte[]> connected = null;
        try {
            connected = client.connect(CODEC);
            pubSub = client.connectPubSub(CODEC);
        } catch (RuntimeException e) {
            // Redis is not there: nothing of Lettuce's may outlive this failed start (its threads, and
            // a connection attempt that would time out a minute later on loops shut down by then).
            try {
                if (connected != null) {
                    connected.close();
                }
                shutDownClient();
            } catch (RuntimeException cleanup) {
                e.addSuppressed(cleanup); // the cause of the failed start stays the one reported
            }
            throw e;
        }
        commands = connected;
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
        shutDownClient();
    }

    private void shutDownClient() {
        try {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } finally {
            // Lettuce's own threads (the node's I/O loops, when shared, stay up for their owner).
            resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3_000);
        }
    }
}
