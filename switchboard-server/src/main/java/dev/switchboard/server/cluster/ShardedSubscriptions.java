package dev.switchboard.server.cluster;

import io.lettuce.core.RedisChannelHandler;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisConnectionStateListener;
import io.lettuce.core.RedisURI;
import io.lettuce.core.cluster.SlotHash;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.models.partitions.Partitions;
import io.lettuce.core.cluster.models.partitions.RedisClusterNode;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link Subscriptions} on a Redis Cluster, with sharded pub/sub ({@code SSUBSCRIBE}): each channel is
 * subscribed on the master of its slot, one connection per master, and {@code SPUBLISH} goes to that
 * master too, so a message never crosses the cluster bus (whose links add up to ~40 ms:
 * docs/OPERATIONS.md, "Redis Cluster").
 *
 * @implNote Lettuce subscribes a shard channel on the master of its slot, but after a failover it
 * keeps reconnecting to the dead master and never subscribes on the promoted replica (tried with
 * Lettuce 7.7: the subscription came back only when the old master returned, as a replica). So this
 * class places the subscriptions itself. One thread ({@code redis-subscriptions}) owns the placement
 * and compares it every {@link #CHECK_MILLIS} (and at once after a change or a dropped connection)
 * with the slots' masters in the cluster client's topology, which Lettuce refreshes every few seconds
 * and after redirections and reconnections. A channel whose master changed is unsubscribed where it
 * was and subscribed on its new master; a dropped connection is not reconnected to the same address
 * but replaced, once the topology names a master again. A node's connection carries only its own
 * channels' messages, and a message is passed on only from the connection where its channel is placed
 * now, so a channel being moved is never delivered twice.
 */
final class ShardedSubscriptions implements Subscriptions {
    private static final Logger log = LoggerFactory.getLogger(ShardedSubscriptions.class);
    /** How often the placement is compared with the topology when nothing else asks for it. */
    static final long CHECK_MILLIS = 500;
    /** How long {@link #subscribe}'s answer waits for Redis's confirmation; the subscription itself goes on trying. */
    static final long CONFIRMATION_TIMEOUT_MILLIS = 5_000;

    private final StatefulRedisClusterConnection<String, byte[]> cluster;
    private final RedisClient nodeClient;
    private final RedisURI settings;
    private final ScheduledExecutorService worker;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    /** Channels asked for; written on the worker, read anywhere. */
    private final Set<String> wanted = ConcurrentHashMap.newKeySet();
    /** channel → "host:port" of the master it is subscribed on (confirmed or not); written on the worker. */
    private final Map<String, String> placements = new ConcurrentHashMap<>();
    /** Channels whose placement Redis has confirmed. */
    private final Set<String> confirmed = ConcurrentHashMap.newKeySet();
    /** Wanted channels that Redis had confirmed and that are not confirmed again yet (their master died or moved). */
    private final Set<String> lost = ConcurrentHashMap.newKeySet();
    private final Map<String, CompletableFuture<Void>> firstConfirmations = new ConcurrentHashMap<>();
    /** "host:port" → its connection; the worker's only. */
    private final Map<String, NodeConnection> connections = new HashMap<>();

    /**
     * @param cluster    the cluster command connection, whose topology names the slots' masters
     * @param nodeClient opens the connections to single masters; must not reconnect by itself
     * @param settings   credentials, TLS and client name for those connections (host and port replaced)
     */
    ShardedSubscriptions(StatefulRedisClusterConnection<String, byte[]> cluster, RedisClient nodeClient, RedisURI settings) {
        this.cluster = cluster;
        this.nodeClient = nodeClient;
        this.settings = settings;
        this.worker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "redis-subscriptions");
            thread.setDaemon(true);
            return thread;
        });
        worker.scheduleWithFixedDelay(this::placeSafely, CHECK_MILLIS, CHECK_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void addListener(Listener listener) {
        listeners.add(listener);
    }

    @Override
    public CompletableFuture<Void> subscribe(String channel) {
        CompletableFuture<Void> done = firstConfirmations.computeIfAbsent(channel, ignored -> new CompletableFuture<>());
        if (confirmed.contains(channel)) {
            done.complete(null);
        }
        onWorker(() -> {
            wanted.add(channel);
            placeSafely();
        });
        return done.copy().orTimeout(CONFIRMATION_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void unsubscribe(String channel) {
        onWorker(() -> {
            wanted.remove(channel);
            lost.remove(channel);
            firstConfirmations.remove(channel);
            placeSafely();
        });
    }

    /**
     * True unless a subscription Redis had confirmed is gone and not made again yet. A channel waiting
     * for its first confirmation does not count: its {@link #subscribe} caller waits for that itself,
     * and readiness would otherwise blink with every new topic.
     */
    @Override
    public boolean isUp() {
        return lost.isEmpty();
    }

    /** Runs {@code task} on the worker; dropped once closed (a connection closing with it reports its end). */
    private void onWorker(Runnable task) {
        try {
            worker.execute(task);
        } catch (RejectedExecutionException e) {
            if (!worker.isShutdown()) {
                throw e;
            }
        }
    }

    private void placeSafely() {
        try {
            place();
        } catch (RuntimeException e) {
            log.atWarn().setMessage("placing the redis subscriptions failed; trying again").addKeyValue("error", e.toString()).log();
        }
    }

    /** On the worker: every wanted channel subscribed on its slot's master, nothing anywhere else. */
    private void place() {
        Partitions topology = cluster.getPartitions();
        for (String channel : wanted) {
            String master = masterOf(topology, channel);
            String placement = placements.get(channel);
            NodeConnection current = placement == null ? null : connections.get(placement);
            if (current != null && current.alive && placement.equals(master)) {
                continue;
            }
            if (placement != null) {
                removePlacement(channel, current);
            }
            if (master == null) {
                continue; // no master serves its slot now: the next round looks again
            }
            NodeConnection target = connectionTo(master);
            if (target != null) {
                placements.put(channel, master);
                target.connection.async().ssubscribe(channel).whenComplete((ignored, error) -> {
                    if (error != null) { // a MOVED (the topology is behind) or a dropped connection: again, later
                        onWorker(() -> {
                            if (master.equals(placements.get(channel)) && !confirmed.contains(channel)) {
                                placements.remove(channel);
                            }
                        });
                    }
                });
            }
        }
        for (String channel : new ArrayList<>(placements.keySet())) {
            if (!wanted.contains(channel)) {
                removePlacement(channel, connections.get(placements.get(channel)));
            }
        }
        connections.values().removeIf(node -> {
            boolean unused = !node.alive || !placements.containsValue(node.address);
            if (unused) {
                node.connection.closeAsync();
            }
            return unused;
        });
    }

    private void removePlacement(String channel, NodeConnection where) {
        placements.remove(channel);
        if (confirmed.remove(channel)) {
            if (wanted.contains(channel)) {
                lost.add(channel);
            }
            listeners.forEach(listener -> listener.lost(channel));
        }
        if (where != null && where.alive) {
            where.connection.async().sunsubscribe(channel);
        }
    }

    /** "host:port" of the master serving the channel's slot, or null while none does (or it is failing). */
    private static String masterOf(Partitions topology, String channel) {
        RedisClusterNode master = topology.getMasterBySlot(SlotHash.getSlot(channel));
        if (master == null || master.is(RedisClusterNode.NodeFlag.FAIL) || master.is(RedisClusterNode.NodeFlag.EVENTUAL_FAIL)) {
            return null;
        }
        return master.getUri().getHost() + ":" + master.getUri().getPort();
    }

    /** The open connection to {@code address}, opened now if needed (blocking this worker thread), or null if it cannot be. */
    private NodeConnection connectionTo(String address) {
        NodeConnection existing = connections.get(address);
        if (existing != null && existing.alive) {
            return existing;
        }
        int colon = address.lastIndexOf(':');
        RedisURI uri = RedisURI.builder(settings).withHost(address.substring(0, colon))
                .withPort(Integer.parseInt(address.substring(colon + 1))).build();
        try {
            NodeConnection opened = new NodeConnection(address, nodeClient.connectPubSub(RedisConnections.CODEC, uri));
            connections.put(address, opened);
            return opened;
        } catch (RuntimeException e) {
            log.atDebug().setMessage("redis master not reachable for subscriptions yet").addKeyValue("master", address)
                    .addKeyValue("error", e.toString()).log();
            return null;
        }
    }

    @Override
    public void close() {
        worker.shutdownNow();
        try {
            worker.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        connections.values().forEach(node -> node.connection.close());
    }

    /** A pub/sub connection to one master; passes on only what belongs to the channels placed on it. */
    private final class NodeConnection {
        final String address;
        final StatefulRedisPubSubConnection<String, byte[]> connection;
        volatile boolean alive = true;

        NodeConnection(String address, StatefulRedisPubSubConnection<String, byte[]> connection) {
            this.address = address;
            this.connection = connection;
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void smessage(String channel, byte[] message) {
                    if (address.equals(placements.get(channel))) {
                        listeners.forEach(listener -> listener.message(channel, message));
                    }
                }

                @Override
                public void ssubscribed(String channel, long count) {
                    if (address.equals(placements.get(channel)) && confirmed.add(channel)) {
                        lost.remove(channel);
                        CompletableFuture<Void> first = firstConfirmations.get(channel);
                        if (first != null) {
                            first.complete(null);
                        }
                        listeners.forEach(listener -> listener.subscribed(channel));
                    }
                }

                @Override
                public void sunsubscribed(String channel, long count) {
                    // Ours, or Redis's when the slot left this master (a failover back, a resharding).
                    onWorker(() -> {
                        if (address.equals(placements.get(channel))) {
                            removePlacement(channel, null);
                            placeSafely();
                        }
                    });
                }
            });
            connection.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                    alive = false;
                    onWorker(() -> {
                        if (connections.get(address) != NodeConnection.this) {
                            return; // closed as unused, or already replaced: what is placed on the address is another's
                        }
                        for (Map.Entry<String, String> placement : new ArrayList<>(placements.entrySet())) {
                            if (placement.getValue().equals(address)) {
                                removePlacement(placement.getKey(), null);
                            }
                        }
                        placeSafely();
                    });
                }

                @Override
                public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress socketAddress) {
                }
            });
        }
    }
}
