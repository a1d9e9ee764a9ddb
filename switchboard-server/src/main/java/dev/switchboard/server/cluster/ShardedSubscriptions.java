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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
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
 * class places the subscriptions itself.
 * <ul>
 *   <li>All of its state belongs to one thread ({@code redis-subscriptions}); the connections' I/O
 *       threads only hand it what they see. It compares the placement with the slots' masters in the
 *       cluster client's topology every {@link #CHECK_MILLIS}, and at once after a change.
 *   <li>A channel moves when the topology names another master for its slot, or when its connection
 *       drops. A master that is only suspected of failing ({@code PFAIL}) keeps its channels.
 *   <li>A connection to a single master is never reconnected to the same address (it is replaced), and
 *       an address that refused is not tried again for {@link #RETRY_MILLIS}, so one dead master does
 *       not hold up the others.
 *   <li>Each placement is an attempt with a number; only the answer to the current attempt confirms
 *       it. The answers to this class's own {@code SUNSUBSCRIBE}s are counted per connection, so that
 *       only a {@code SUNSUBSCRIBE} from Redis (its slot moved away) is taken for a lost subscription.
 *   <li>A message is passed on only from the connection where its channel is placed now, so a channel
 *       being moved is never delivered twice.
 * </ul>
 */
final class ShardedSubscriptions implements Subscriptions {
    private static final Logger log = LoggerFactory.getLogger(ShardedSubscriptions.class);
    /** How often the placement is compared with the topology when nothing else asks for it. */
    static final long CHECK_MILLIS = 500;
    /** How long {@link #subscribe}'s answer waits for Redis's confirmation; the subscription itself goes on trying. */
    static final long CONFIRMATION_TIMEOUT_MILLIS = 5_000;
    /** How long an address that could not be connected to is left alone. */
    static final long RETRY_MILLIS = 1_000;
    /** At most one topology refresh asked for (after a MOVED) and one warning per channel in this time. */
    private static final long QUIET_MILLIS = 30_000;

    private final StatefulRedisClusterConnection<String, byte[]> cluster;
    private final Runnable refreshTopology;
    private final RedisClient nodeClient;
    private final RedisURI settings;
    private final ScheduledExecutorService worker;
    private final List<Listener> listeners = new CopyOnWriteArrayList<>();

    // The worker's own state.
    /** Wanted channels, in the order asked for (the node's own channel first). */
    private final Map<String, Channel> channels = new LinkedHashMap<>();
    /** "host:port" → its connection. */
    private final Map<String, NodeConnection> connections = new HashMap<>();
    /** "host:port" → System.nanoTime() before which it is not tried again. */
    private final Map<String, Long> unreachableUntil = new HashMap<>();
    private long attempts;
    private long lastRefreshAskedNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
    /** The masters' node ids at the last look, or null before the first. */
    private Set<String> masters;

    // Read by other threads.
    /** channel → "host:port" of the connection whose messages for it are passed on. */
    private final Map<String, String> placedOn = new ConcurrentHashMap<>();
    /** Wanted channels that Redis had confirmed and that are not confirmed again yet. */
    private final Set<String> lost = ConcurrentHashMap.newKeySet();

    /**
     * @param cluster         the cluster command connection, whose topology names the slots' masters
     * @param refreshTopology asks the cluster client to read the topology again (after a MOVED)
     * @param nodeClient      opens the connections to single masters; must not reconnect by itself
     * @param settings        credentials, TLS and client name for those connections (host and port replaced)
     */
    ShardedSubscriptions(StatefulRedisClusterConnection<String, byte[]> cluster, Runnable refreshTopology,
                         RedisClient nodeClient, RedisURI settings) {
        this.cluster = cluster;
        this.refreshTopology = refreshTopology;
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
        CompletableFuture<Void> answer = new CompletableFuture<>();
        onWorker(() -> {
            Channel state = channels.computeIfAbsent(channel, Channel::new);
            if (state.confirmed) {
                answer.complete(null);
            } else {
                state.waiting.add(answer);
                placeSafely();
            }
        });
        return answer.orTimeout(CONFIRMATION_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    }

    @Override
    public void unsubscribe(String channel) {
        onWorker(() -> {
            Channel state = channels.remove(channel);
            if (state == null) {
                return;
            }
            state.waiting.forEach(waiter -> waiter.completeExceptionally(new CancellationException("unsubscribed")));
            lost.remove(channel);
            unplace(state, false);
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
        } catch (Throwable e) { // the periodic round must survive whatever one round meets
            log.atWarn().setMessage("placing the redis subscriptions failed; trying again").addKeyValue("error", e.toString()).log();
        }
    }

    /** On the worker: every wanted channel subscribed on its slot's master, nothing anywhere else. */
    private void place() {
        Partitions topology = cluster.getPartitions();
        noticeMasterChanges(topology);
        long now = System.nanoTime();
        for (Channel state : channels.values()) {
            String master = masterOf(topology, state.name);
            if (state.address != null) {
                NodeConnection current = connections.get(state.address);
                if (current != null && current.isAlive() && (master == null || master.equals(state.address))) {
                    continue; // in place, or no other master named yet: stay
                }
                unplace(state, true);
            }
            if (master == null || now - unreachableUntil.getOrDefault(master, now) < 0) {
                continue;
            }
            NodeConnection target = connectionTo(master, now);
            if (target != null) {
                placeOn(state, target);
            }
        }
        connections.values().removeIf(node -> {
            boolean unused = channels.values().stream().noneMatch(state -> node.address.equals(state.address));
            if (unused || !node.isAlive()) {
                node.connection.closeAsync();
                return true;
            }
            return false;
        });
    }

    private void placeOn(Channel state, NodeConnection target) {
        long attempt = ++attempts;
        state.address = target.address;
        state.attempt = attempt;
        placedOn.put(state.name, target.address);
        target.connection.async().ssubscribe(state.name)
                .whenComplete((ignored, error) -> onWorker(() -> answered(state.name, attempt, error)));
    }

    /** On the worker: Redis answered attempt {@code attempt} to subscribe to {@code channel}. */
    private void answered(String channel, long attempt, Throwable error) {
        Channel state = channels.get(channel);
        if (state == null || state.attempt != attempt || state.address == null) {
            return; // unsubscribed or placed again since: an old answer
        }
        if (error == null) {
            state.confirmed = true;
            lost.remove(channel);
            state.waiting.forEach(waiter -> waiter.complete(null));
            state.waiting.clear();
            listeners.forEach(listener -> listener.subscribed(channel));
            return;
        }
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        String message = String.valueOf(cause.getMessage());
        placedOn.remove(channel);
        state.address = null;
        long now = System.nanoTime();
        if (message.startsWith("MOVED")) { // the topology is behind: the next rounds retry once it is read again
            if (now - lastRefreshAskedNanos > TimeUnit.MILLISECONDS.toNanos(CHECK_MILLIS * 4)) {
                lastRefreshAskedNanos = now;
                refreshTopology.run();
            }
        } else if (now - state.lastWarnedNanos > TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS)) {
            state.lastWarnedNanos = now;
            log.atWarn().setMessage("redis refused a subscription; trying again").addKeyValue("channel", channel)
                    .addKeyValue("error", cause.toString()).log();
        }
    }

    /** On the worker: {@code state} is no longer subscribed where it was ({@code unsubscribe}: and tell Redis so). */
    private void unplace(Channel state, boolean reportLoss) {
        NodeConnection where = state.address == null ? null : connections.get(state.address);
        if (where != null && where.isAlive()) {
            where.sentUnsubscribes.merge(state.name, 1, Integer::sum);
            where.connection.async().sunsubscribe(state.name);
        }
        state.address = null;
        placedOn.remove(state.name);
        if (state.confirmed) {
            state.confirmed = false;
            if (reportLoss) {
                lost.add(state.name);
                listeners.forEach(listener -> listener.lost(state.name));
            }
        }
    }

    /**
     * On the worker: when the set of masters changed (a failover), tells the listeners, whose state in
     * Redis may have lost what the old master had not replicated. Not on the first look, nor on slots
     * moving between the same masters (their keys move with them).
     */
    private void noticeMasterChanges(Partitions topology) {
        Set<String> now = new TreeSet<>();
        for (RedisClusterNode node : topology) {
            if (isMaster(node) && !node.is(RedisClusterNode.NodeFlag.FAIL) && !node.hasNoSlots()) {
                now.add(node.getNodeId());
            }
        }
        if (masters != null && !masters.equals(now) && !now.isEmpty()) {
            log.atInfo().setMessage("redis cluster masters changed").addKeyValue("masters", now.size()).log();
            listeners.forEach(Listener::mastersChanged);
        }
        if (!now.isEmpty()) {
            masters = now;
        }
    }

    /** "host:port" of the master serving the channel's slot, or null while none does (or it has failed). */
    private static String masterOf(Partitions topology, String channel) {
        RedisClusterNode master = topology.getMasterBySlot(SlotHash.getSlot(channel));
        if (master == null || master.is(RedisClusterNode.NodeFlag.FAIL)) {
            return null;
        }
        return master.getUri().getHost() + ":" + master.getUri().getPort();
    }

    static boolean isMaster(RedisClusterNode node) {
        return node.is(RedisClusterNode.NodeFlag.UPSTREAM) || node.is(RedisClusterNode.NodeFlag.MASTER);
    }

    /** The live connection to {@code address}, opened now if needed (blocking this worker thread), or null if it cannot be. */
    private NodeConnection connectionTo(String address, long now) {
        NodeConnection existing = connections.get(address);
        if (existing != null && existing.isAlive()) {
            return existing;
        }
        if (existing != null) {
            existing.connection.closeAsync();
            connections.remove(address);
        }
        int colon = address.lastIndexOf(':');
        RedisURI uri = RedisURI.builder(settings).withHost(address.substring(0, colon))
                .withPort(Integer.parseInt(address.substring(colon + 1))).build();
        try {
            NodeConnection opened = new NodeConnection(address, nodeClient.connectPubSub(RedisConnections.CODEC, uri));
            if (!opened.isAlive()) { // dropped before its listener was there to see it
                opened.connection.closeAsync();
                throw new IllegalStateException("connection closed at once");
            }
            connections.put(address, opened);
            unreachableUntil.remove(address);
            return opened;
        } catch (RuntimeException e) {
            unreachableUntil.put(address, now + TimeUnit.MILLISECONDS.toNanos(RETRY_MILLIS));
            log.atDebug().setMessage("redis master not reachable for subscriptions yet").addKeyValue("master", address)
                    .addKeyValue("error", e.toString()).log();
            return null;
        }
    }

    /** On the worker: {@code node}'s connection dropped; its channels are lost until placed again. */
    private void dropped(NodeConnection node) {
        if (connections.get(node.address) != node) {
            return; // closed as unused, or already replaced: what is placed on the address is another's
        }
        connections.remove(node.address);
        node.connection.closeAsync();
        for (Channel state : channels.values()) {
            if (node.address.equals(state.address)) {
                unplace(state, true);
            }
        }
        placeSafely();
    }

    /** On the worker: Redis unsubscribed {@code channel} on {@code node} without being asked (its slot moved away). */
    private void unsubscribedByRedis(NodeConnection node, String channel) {
        Integer ours = node.sentUnsubscribes.get(channel);
        if (ours != null) {
            node.sentUnsubscribes.compute(channel, (ignored, count) -> count == 1 ? null : count - 1);
            return; // the answer to one of ours
        }
        Channel state = channels.get(channel);
        if (state != null && node.address.equals(state.address) && connections.get(node.address) == node) {
            unplace(state, true);
            placeSafely();
        }
    }

    @Override
    public void close() {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        onWorker(() -> {
            connections.values().forEach(node -> node.connection.closeAsync());
            connections.clear();
            closed.complete(null);
        });
        try {
            closed.get(3, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.atDebug().setMessage("redis subscriptions not closed in time; the client's shutdown closes them").log();
        }
        worker.shutdownNow();
    }

    /** A wanted channel; the worker's. */
    private static final class Channel {
        final String name;
        /** "host:port" where it is placed (confirmed or not), or null. */
        String address;
        long attempt;
        boolean confirmed;
        long lastWarnedNanos = System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
        final List<CompletableFuture<Void>> waiting = new ArrayList<>();

        Channel(String name) {
            this.name = name;
        }
    }

    /** A pub/sub connection to one master; passes on only what belongs to the channels placed on it. */
    private final class NodeConnection {
        final String address;
        final StatefulRedisPubSubConnection<String, byte[]> connection;
        /** channel → our SUNSUBSCRIBEs on this connection not answered yet; the worker's. */
        final Map<String, Integer> sentUnsubscribes = new HashMap<>();
        private volatile boolean dropped;

        NodeConnection(String address, StatefulRedisPubSubConnection<String, byte[]> connection) {
            this.address = address;
            this.connection = connection;
            connection.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void smessage(String channel, byte[] message) {
                    if (address.equals(placedOn.get(channel))) {
                        listeners.forEach(listener -> listener.message(channel, message));
                    }
                }

                @Override
                public void sunsubscribed(String channel, long count) {
                    onWorker(() -> unsubscribedByRedis(NodeConnection.this, channel));
                }
            });
            connection.addListener(new RedisConnectionStateListener() {
                @Override
                public void onRedisDisconnected(RedisChannelHandler<?, ?> handler) {
                    dropped = true;
                    onWorker(() -> dropped(NodeConnection.this));
                }

                @Override
                public void onRedisConnected(RedisChannelHandler<?, ?> handler, SocketAddress socketAddress) {
                }
            });
        }

        boolean isAlive() {
            return !dropped && connection.isOpen();
        }
    }
}
