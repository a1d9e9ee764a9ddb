package dev.switchboard.server.cluster;

import dev.switchboard.server.metrics.ServerMetrics;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.RedisClusterURIUtil;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.protocol.ProtocolVersion;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.NettyCustomizer;
import io.lettuce.core.resource.Transports;
import io.netty.channel.Channel;
import io.netty.handler.flush.FlushConsolidationHandler;
import java.net.SocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The node's Redis connections — one for commands, and the {@link Subscriptions} — on one Lettuce
 * client with automatic reconnection. Lettuce also takes {@code redis-sentinel://} URIs for Sentinel setups.
 * Keys are strings, values raw bytes.
 *
 * <p>With {@code cluster} the Redis is a Redis Cluster ({@code cluster.mode: redis-cluster}): the URI
 * names some of its nodes ({@code redis://host1:7000,host2:7001}), Lettuce learns the rest and the
 * slots from them, sends each command to the master of its key's slot, and follows failovers and
 * slot moves (topology read again every {@link #TOPOLOGY_REFRESH}, and sooner after redirections and
 * reconnections, as often as Lettuce's own limit lets it). Pub/sub is sharded there: {@link #publish} sends {@code SPUBLISH} to the master of the
 * channel's slot, and {@link ShardedSubscriptions} subscribes on that master, with connections of its
 * own to single masters.
 */
final class RedisConnections implements AutoCloseable {
    private static final int REQUEST_QUEUE_SIZE = 100_000;
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(5);
    /** How long opening a connection to one master of a Redis Cluster may take (a dead one refuses at once). */
    private static final Duration NODE_CONNECT_TIMEOUT = Duration.ofSeconds(2);
    /** How often a Redis Cluster's slots and nodes are read again, besides after redirections and reconnections. */
    static final Duration TOPOLOGY_REFRESH = Duration.ofSeconds(5);
    /** The slots of a Redis Cluster, each served by one master. */
    private static final int CLUSTER_SLOTS = 16_384;
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
    private final AbstractRedisClient client;
    private final StatefulConnection<String, byte[]> commands;
    private final RedisClusterAsyncCommands<String, byte[]> async;
    /** The command connection when the Redis is a Redis Cluster, else null. */
    private final StatefulRedisClusterConnection<String, byte[]> clusterCommands;
    private final Subscriptions subscriptions;
    /** Opens the sharded subscriptions' connections to single masters (Redis Cluster only), else null. */
    private final RedisClient nodeClient;
    private volatile boolean commandsConnected = true;
    /** System.nanoTime() of the last command Redis answered, and of the last one that got no answer (Redis Cluster only). */
    private volatile long lastAnswerNanos = System.nanoTime();
    private volatile long lastFailureNanos = lastAnswerNanos;

    private final ServerMetrics metrics;

    /** A single Redis (or Sentinel's master), on Lettuce's own I/O threads (tests). */
    RedisConnections(String uri, ServerMetrics metrics) {
        this(uri, false, null, metrics, null);
    }

    /** A single Redis (or Sentinel's master). */
    RedisConnections(String uri, ServerMetrics metrics, SharedEventLoops loops) {
        this(uri, false, null, metrics, loops);
    }

    /**
     * @param cluster    true when {@code uri} names nodes of a Redis Cluster
     * @param clientName the name the connections give themselves ({@code CLIENT SETNAME}: the node id, so
     *                   that {@code CLIENT LIST} tells the nodes apart), or null for none; left out unless it
     *                   is printable ASCII without spaces, as Redis requires of a name
     * @param loops      the node's I/O loops to run the connections on, or null (or loops of a transport other
     *                   than Lettuce's) for Lettuce's own threads
     */
    RedisConnections(String uri, boolean cluster, String clientName, ServerMetrics metrics, SharedEventLoops loops) {
        this.metrics = metrics;
        // A malformed uri fails here, before any of Lettuce's threads starts.
        List<RedisURI> redisUris = cluster ? RedisClusterURIUtil.toRedisURIs(URI.create(uri)) : List.of(RedisURI.create(uri));
        if (clientName != null && clientName.matches("[!-~]+")) {
            redisUris.forEach(redisUri -> redisUri.setClientName(clientName));
        }
        DefaultClientResources.Builder resourcesBuilder = DefaultClientResources.builder().nettyCustomizer(FLUSH_PER_LOOP_PASS);
        if (loops != null && loops.fitLettuce()) {
            resourcesBuilder.eventLoopGroupProvider(loops.provider());
        } else if (loops != null) {
            log.atWarn().setMessage("redis connections on threads of their own: Lettuce's transport is not the gateway's")
                    .addKeyValue("lettuce", Transports.socketChannelClass().getSimpleName())
                    .addKeyValue("gateway", loops.channelType().getSimpleName()).log();
        }
        resources = resourcesBuilder.build();
        client = cluster ? clusterClient(resources, redisUris) : standaloneClient(resources, redisUris.get(0));
        StatefulConnection<String, byte[]> connected = null;
        try {
            if (client instanceof RedisClusterClient clusterClient) {
                StatefulRedisClusterConnection<String, byte[]> clusterConnection = clusterClient.connect(CODEC);
                connected = clusterConnection;
                clusterCommands = clusterConnection;
                async = clusterConnection.async();
                nodeClient = nodeClient(resources);
                subscriptions = new ShardedSubscriptions(clusterConnection, clusterClient::refreshPartitionsAsync,
                        nodeClient, redisUris.get(0));
            } else {
                StatefulRedisConnection<String, byte[]> connection = ((RedisClient) client).connect(CODEC);
                connected = connection;
                clusterCommands = null;
                async = connection.async();
                nodeClient = null;
                subscriptions = new ClassicSubscriptions(((RedisClient) client).connectPubSub(CODEC));
            }
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
        if (clusterCommands != null) {
            return; // a Redis Cluster's connection state is judged by answers (isConnected), not by this one connection
        }
        ((RedisChannelHandler<?, ?>) commands).addListener(new RedisConnectionStateListener() {
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

    private static RedisClient standaloneClient(ClientResources resources, RedisURI uri) {
        RedisClient client = RedisClient.create(resources, uri);
        // Bounded: while Redis is away, commands fail at once instead of queueing without limit.
        client.setOptions(ClientOptions.builder().autoReconnect(true)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT)).build());
        return client;
    }

    private static RedisClusterClient clusterClient(ClientResources resources, List<RedisURI> seeds) {
        RedisClusterClient client = RedisClusterClient.create(resources, seeds);
        // Accepted while disconnected, unlike a single Redis's: Lettuce opens the connection to each
        // master when the first command for its slots comes (at start, and after a failover), and
        // would reject that command meanwhile. Still bounded: at most REQUEST_QUEUE_SIZE commands a
        // connection, each failed after COMMAND_TIMEOUT.
        client.setOptions(ClusterClientOptions.builder().autoReconnect(true)
                .requestQueueSize(REQUEST_QUEUE_SIZE)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT))
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(TOPOLOGY_REFRESH).enableAllAdaptiveRefreshTriggers().build())
                .build());
        return client;
    }

    /**
     * Connections to single masters of a Redis Cluster, for {@link ShardedSubscriptions}: not reconnected
     * by Lettuce, which would go back to the same address after a failover; that class replaces them.
     */
    private static RedisClient nodeClient(ClientResources resources) {
        RedisClient client = RedisClient.create(resources);
        client.setOptions(ClientOptions.builder().autoReconnect(false)
                .protocolVersion(ProtocolVersion.RESP3) // SUNSUBSCRIBE on a subscribed connection needs it
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(NODE_CONNECT_TIMEOUT).build())
                .timeoutOptions(TimeoutOptions.enabled(COMMAND_TIMEOUT)).build());
        return client;
    }

    /** Commands, each to the Redis (or, in a Redis Cluster, the master) that holds its key. */
    RedisClusterAsyncCommands<String, byte[]> async() {
        return async;
    }

    /** True when the Redis is a Redis Cluster: a command's keys must then share one slot. */
    boolean isCluster() {
        return clusterCommands != null;
    }

    /**
     * Waits, at start, for a subscription Redis must confirm before the node may serve; a failure or
     * {@link #COMMAND_TIMEOUT} ends the start.
     */
    static void await(CompletableFuture<Void> subscription, String what) {
        try {
            subscription.get(COMMAND_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while subscribing to " + what, e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("redis did not confirm the subscription to " + what + " within "
                    + COMMAND_TIMEOUT.toSeconds() + " s", e);
        }
    }

    /** The node's subscriptions: classic pub/sub on one Redis, sharded pub/sub on a Redis Cluster. */
    Subscriptions subscriptions() {
        return subscriptions;
    }

    /**
     * Publishes on {@code channel}: {@code PUBLISH} on one Redis, {@code SPUBLISH} (to the master of the
     * channel's slot) on a Redis Cluster; timed. Completes with the count of receivers.
     */
    CompletableFuture<Long> publish(String channel, byte[] message) {
        return timed(clusterCommands != null ? async.spublish(channel, message) : async.publish(channel, message));
    }

    /**
     * Records the command's latency and failure in the Redis metrics; returns the same stage as a
     * CompletableFuture.
     */
    <T> CompletableFuture<T> timed(CompletionStage<T> command) {
        long start = System.nanoTime();
        return command.toCompletableFuture().whenComplete((result, error) -> {
            long now = System.nanoTime();
            metrics.redisAnswered(now - start, error != null);
            if (clusterCommands != null) { // only a Redis Cluster's readiness reads these (answering())
                noteAnswer(error, now);
            }
        });
    }

    private void noteAnswer(Throwable error, long now) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (error == null || cause instanceof RedisCommandExecutionException) { // an error reply is an answer too
            lastAnswerNanos = now;
        } else {
            lastFailureNanos = now;
        }
    }

    /**
     * True while the command connection is up; in a Redis Cluster, while every slot has a master that
     * the cluster has not marked failing, as last read (a master's failover takes the cluster a few
     * seconds and the node {@link #TOPOLOGY_REFRESH} more at most to see).
     */
    boolean isConnected() {
        if (clusterCommands != null) {
            return clusterCommands.isOpen() && everySlotServed(clusterCommands.getPartitions()) && answering();
        }
        return commandsConnected && commands.isOpen();
    }

    /**
     * A Redis Cluster's command connection stays open while every master is away, and the topology
     * stays as last read; so there Redis counts as away once no command has been answered for
     * {@link #COMMAND_TIMEOUT} and the last one failed (timed out, or found no connection).
     */
    private boolean answering() {
        long lastAnswer = lastAnswerNanos;
        return lastFailureNanos - lastAnswer <= 0 || System.nanoTime() - lastAnswer < COMMAND_TIMEOUT.toNanos();
    }

    /**
     * Whether every slot has a master the cluster has not marked failed. A master only suspected by one
     * Redis node ({@code PFAIL}) still counts: a short glitch on the cluster bus must not take every
     * node out of the balancer at once.
     */
    static boolean everySlotServed(Partitions partitions) {
        BitSet served = new BitSet(CLUSTER_SLOTS);
        for (RedisClusterNode node : partitions) {
            if (ShardedSubscriptions.isMaster(node) && !node.is(RedisClusterNode.NodeFlag.FAIL)) {
                node.getSlots().forEach(served::set);
            }
        }
        return served.cardinality() == CLUSTER_SLOTS;
    }

    @Override
    public void close() {
        subscriptions.close();
        commands.close();
        shutDownClient();
    }

    private void shutDownClient() {
        try {
            if (nodeClient != null) {
                nodeClient.shutdown(Duration.ZERO, Duration.ofSeconds(2));
            }
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        } finally {
            // Lettuce's own threads (the node's I/O loops, when shared, stay up for their owner).
            resources.shutdown(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(3_000);
        }
    }
}
