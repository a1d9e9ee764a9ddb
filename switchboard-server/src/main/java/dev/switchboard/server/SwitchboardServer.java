package dev.switchboard.server;

import dev.switchboard.server.api.ApiServer;
import dev.switchboard.server.api.ApiServices;
import dev.switchboard.server.auth.HandshakeAuthenticator;
import dev.switchboard.server.auth.OriginPolicy;
import dev.switchboard.server.chat.ChatService;
import dev.switchboard.server.chat.CommandDispatcher;
import dev.switchboard.server.chat.FileCommands;
import dev.switchboard.server.chat.GroupCommands;
import dev.switchboard.server.chat.PresenceCommands;
import dev.switchboard.server.chat.SessionPolicy;
import dev.switchboard.server.chat.Router;
import dev.switchboard.server.chat.TopicCommands;
import dev.switchboard.server.cluster.Cluster;
import dev.switchboard.server.cluster.SharedEventLoops;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.gateway.Admission;
import dev.switchboard.server.gateway.ClientAddress;
import dev.switchboard.server.gateway.ConnectionLimits;
import dev.switchboard.server.gateway.DownloadSlots;
import dev.switchboard.server.gateway.EventLoops;
import dev.switchboard.server.gateway.GatewayServer;
import dev.switchboard.server.gateway.GatewayServices;
import dev.switchboard.server.chat.KeyedRateLimiter;
import dev.switchboard.server.gateway.KeepAlive;
import dev.switchboard.server.metrics.NodeStatsSampler;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.moderation.Moderation;
import dev.switchboard.server.presence.PresenceNotifier;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.JdbcBanStore;
import dev.switchboard.server.store.JdbcDatabase;
import dev.switchboard.server.store.JdbcFileStore;
import dev.switchboard.server.store.JdbcGroupStore;
import dev.switchboard.server.store.JdbcMessageStore;
import dev.switchboard.server.store.WriteObserver;
import dev.switchboard.server.topic.MemoryTopicEngine;
import dev.switchboard.server.topic.TopicHub;
import dev.switchboard.server.topic.TopicPolicy;
import dev.switchboard.server.webhook.HttpWebhooks;
import dev.switchboard.server.webhook.Webhooks;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One Switchboard node, assembled from its configuration: store, registry, router, chat services
 * and the gateway. The composition root — the only place that picks implementations.
 */
public final class SwitchboardServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SwitchboardServer.class);
    private static final long BAN_REFRESH_SECONDS = 30;

    private final ServerConfig config;
    private final JdbcMessageStore messageStore;
    private final JdbcFileStore fileStore;
    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final ServerMetrics metrics = new ServerMetrics();
    private final EventLoops loops;
    private final HandshakeAuthenticator authenticator;
    private final GatewayServer gateway;
    private final ApiServer api;
    private final Cluster cluster;
    private final TopicHub topicHub;
    private final Moderation moderation;
    private final NodeStatsSampler stats;
    private final ScheduledExecutorService maintenance;
    private final KeyedRateLimiter handshakeRate;
    private final SessionPolicy sessionPolicy;
    private final Webhooks webhooks;
    private int port;
    private int apiPort = -1;
    private boolean closed;

    public SwitchboardServer(ServerConfig config) {
        this.config = config;
        if (config.auth().devMode()) {
            log.warn("DEVELOPMENT MODE: ?user= is accepted WITHOUT a token. Never run like this in production.");
        }
        if (!List.of("multi-device", "single-session").contains(config.auth().loginPolicy())) {
            throw new IllegalArgumentException("auth.loginPolicy must be multi-device or single-session, not "
                    + config.auth().loginPolicy());
        }
        if (!config.webhooks().isEnabled() && !config.webhooks().secret().isEmpty()) {
            log.warn("webhooks.secret is set but webhooks.url is empty: no webhooks are sent");
        }
        TopicPolicy topicPolicy = new TopicPolicy(config.topics().rules());
        JdbcDatabase database = JdbcDatabase.open(config.store(), Path.of(config.server().dataDirectory()));
        database.observeWrites(new WriteObserver() {
            @Override
            public void batchFinished(long queuedNanos, long nanos, boolean committed) {
                metrics.storeCommitted(queuedNanos, nanos);
                if (!committed) {
                    metrics.storeFailed();
                }
            }

            @Override
            public void writeCommitted(long nanos) {
                metrics.storeWriteCommitted(nanos);
            }
        });
        this.messageStore = new JdbcMessageStore(database);
        JdbcGroupStore groupStore = new JdbcGroupStore(database);
        this.fileStore = new JdbcFileStore(database);
        this.loops = EventLoops.create(config.server().ioThreads());
        Cluster startedCluster = null; // the catch below cannot read this.cluster: it may be unassigned there
        Webhooks startedWebhooks = Webhooks.NONE;
        try {
            this.cluster = startedCluster = Cluster.create(config.cluster(), registry, TimeUnit.SECONDS.toMillis(config.topics().historyTtlSeconds()),
                    metrics, new SharedEventLoops(loops.io(), loops.socketChannelType()));
            Router router = new Router(registry, cluster.remoteDelivery());
            if (cluster.broker() != null) {
                // After Redis comes back: routes first (acknowledged), then every local connection re-reads
                // its inbox, so nothing published to this node during the outage stays missing.
                cluster.broker().onResubscribed(() -> cluster.routes().restore()
                        .thenRun(() -> registry.forEach(Connection::catchUp)));
                cluster.broker().start(cluster.nodeId(), router::onEnvelope);
            }
            this.topicHub = new TopicHub(cluster.topics(), metrics);
            topicHub.start();
            this.moderation = new Moderation(registry, cluster.control(), new JdbcBanStore(database));
            moderation.start();
            this.webhooks = startedWebhooks = config.webhooks().isEnabled()
                    ? new HttpWebhooks(config.webhooks(), cluster.nodeId(), metrics, Clock.systemUTC()) : Webhooks.NONE;
            ChatService chat = new ChatService(messageStore, router, config.limits().maxBodyBytes(), metrics, webhooks);
            CommandDispatcher dispatcher = new CommandDispatcher(chat,
                    new GroupCommands(groupStore, config.limits().maxGroupMembers()),
                    new PresenceCommands(cluster.routes()),
                    new TopicCommands(topicHub, topicPolicy, config.topics().maxSubscriptionsPerConnection(),
                            config.topics().maxDataBytes(), metrics),
                    new FileCommands(fileStore, config.files(), ServerConfig.Files.chunkBytes(config.limits()), metrics),
                    metrics);
            PresenceNotifier presenceNotifier = new PresenceNotifier(config.presence().events(),
                    config.presence().maxInterestedUsers(), registry, cluster.routes(), messageStore, router);
            this.sessionPolicy = SessionPolicy.of(config.limits(), metrics);
            this.handshakeRate = KeyedRateLimiter.of(config.limits().handshakesPerSecondPerIp(),
                    config.limits().handshakeBurstPerIp());
            this.authenticator = new HandshakeAuthenticator(config.auth(), Clock.systemUTC());
            GatewayServices services = new GatewayServices(config, authenticator,
                    new OriginPolicy(config.server().allowedOrigins()),
                    registry, dispatcher, messageStore, fileStore, new Admission(config.server().maxConnections()),
                    new ClientAddress(config.server().trustedProxies()),
                    new ConnectionLimits(config.limits().maxConnectionsPerIp(), config.limits().maxConnectionsPerUser()),
                    handshakeRate, cluster,
                    metrics, moderation, presenceNotifier, sessionPolicy, webhooks,
                    new KeepAlive(config.heartbeat().pingIntervalMillis(), config.heartbeat().pingTimeoutMillis()),
                    new DownloadSlots(config.files().maxDownloads()));
            this.gateway = new GatewayServer(services, loops);
            this.stats = new NodeStatsSampler(cluster.nodeId(), metrics, registry, topicHub, cluster.nodes());
            this.api = config.api().port() < 0 ? null : new ApiServer(new ApiServices(config, chat, messageStore, groupStore,
                    topicPolicy, cluster, moderation, metrics, stats));
            registerScrapeTimeMeters(database);
            this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
                Thread thread = new Thread(runnable, "maintenance");
                thread.setDaemon(true);
                return thread;
            });
        } catch (RuntimeException | Error e) {
            // A failed start (Redis or the store unreachable, a bad setting read after Redis was reached)
            // must not leave the loops' and the store writer's threads behind in a program that embeds
            // the server: they keep a JVM alive. A cluster that did start removes its node entry and
            // subscriptions from Redis, as close() does; its connections run on the loops, so it goes first.
            closeAfterFailedStart(startedCluster, startedWebhooks, e);
            throw e;
        }
    }

    /** Closes what the constructor started, in close()'s order; a failure to close is kept with the start's. */
    private void closeAfterFailedStart(Cluster startedCluster, Webhooks startedWebhooks, Throwable failure) {
        if (authenticator != null) {
            closeKeepingFailure(authenticator::close, failure);
        }
        closeKeepingFailure(messageStore::close, failure);
        if (startedCluster != null) {
            closeKeepingFailure(startedCluster::close, failure);
        }
        closeKeepingFailure(loops::close, failure);
        closeKeepingFailure(startedWebhooks::close, failure);
    }

    private static void closeKeepingFailure(Runnable close, Throwable failure) {
        try {
            close.run();
        } catch (RuntimeException | Error closeFailure) {
            failure.addSuppressed(closeFailure);
        }
    }

    private void registerScrapeTimeMeters(JdbcDatabase database) {
        metrics.gauge("switchboard.connections", "Open WebSocket sessions on this node", registry::size);
        metrics.gauge("switchboard.store.queue.writes", "Store writes waiting for the writer thread", database::queuedWrites);
        metrics.functionCounter("switchboard.handshake.device.states", "Device states the handshakes needed, by where they came from",
                "source", "memory", messageStore, JdbcMessageStore::deviceStatesFromMemory);
        metrics.functionCounter("switchboard.handshake.device.states", "Device states the handshakes needed, by where they came from",
                "source", "store", messageStore, JdbcMessageStore::deviceStatesRead);
        metrics.functionCounter("switchboard.rate.limit.untracked",
                "Uses let through uncounted because a keyed rate limit's table was full", "limit", "handshake",
                handshakeRate, KeyedRateLimiter::untracked);
        metrics.functionCounter("switchboard.rate.limit.untracked",
                "Uses let through uncounted because a keyed rate limit's table was full", "limit", "user_send",
                sessionPolicy.userSends(), KeyedRateLimiter::untracked);
        metrics.gauge("switchboard.topic.subscriptions", "Topic subscriptions on this node", topicHub::subscriptionCount);
        metrics.gauge("switchboard.outbound.queue.bytes", "Bytes waiting in every connection's outbound buffer",
                () -> outboundQueue(false));
        metrics.gauge("switchboard.outbound.queue.max.bytes", "Bytes waiting in the fullest outbound buffer",
                () -> outboundQueue(true));
    }

    /** Sum (or maximum) of the connections' pending outbound bytes; walks the registry at scrape time only. */
    private long outboundQueue(boolean maximum) {
        long[] result = new long[1];
        registry.forEach(connection -> {
            long pending = connection.pendingOutboundBytes();
            result[0] = maximum ? Math.max(result[0], pending) : result[0] + pending;
        });
        return result[0];
    }

    /** Starts listening; returns the bound WebSocket port. */
    public int start() throws InterruptedException {
        port = gateway.start();
        if (api != null) {
            apiPort = api.start();
        }
        scheduleRetention();
        scheduleFilePurge();
        maintenance.scheduleAtFixedRate(this::sampleStats, 0, 1, TimeUnit.SECONDS);
        maintenance.scheduleWithFixedDelay(this::refreshBans, BAN_REFRESH_SECONDS, BAN_REFRESH_SECONDS, TimeUnit.SECONDS);
        for (KeyedRateLimiter limiter : List.of(handshakeRate, sessionPolicy.userSends())) {
            if (limiter.isEnabled()) {
                maintenance.scheduleWithFixedDelay(() -> limiter.sweep(System.nanoTime()), 10, 10, TimeUnit.SECONDS);
            }
        }
        if (cluster.topics() instanceof MemoryTopicEngine memory) {
            maintenance.scheduleWithFixedDelay(() -> memory.expireIdle(topicHub::hasSubscribers), 10, 10, TimeUnit.SECONDS);
        }
        long keepAliveSeconds = Math.max(1, config.topics().historyTtlSeconds() / 3);
        maintenance.scheduleWithFixedDelay(() -> cluster.topics().keepAlive(topicHub.topics()),
                keepAliveSeconds, keepAliveSeconds, TimeUnit.SECONDS);
        return port;
    }

    private void sampleStats() {
        try {
            stats.sample();
        } catch (RuntimeException e) {
            log.atDebug().setMessage("stats sample failed").addKeyValue("error", e.toString()).log();
        }
    }

    private void refreshBans() {
        moderation.refreshBans().exceptionally(error -> {
            log.atWarn().setMessage("ban refresh failed").addKeyValue("error", error.toString()).log();
            return null;
        });
    }

    public int port() {
        return port;
    }

    /** The API port, or -1 when the API is disabled. */
    public int apiPort() {
        return apiPort;
    }

    public ConnectionRegistry registry() {
        return registry;
    }

    public TopicHub topicHub() {
        return topicHub;
    }

    private void scheduleRetention() {
        ServerConfig.Retention retention = config.retention();
        if (retention.maxAgeHours() <= 0 && retention.maxMessagesPerUser() <= 0) {
            return;
        }
        long period = Math.max(1, retention.purgeIntervalSeconds());
        maintenance.scheduleWithFixedDelay(() -> {
            long olderThan = retention.maxAgeHours() > 0
                    ? System.currentTimeMillis() - TimeUnit.HOURS.toMillis(retention.maxAgeHours()) : 0;
            messageStore.purgeExpired(olderThan, retention.maxMessagesPerUser()).whenComplete((deleted, error) -> {
                if (error != null) {
                    log.atWarn().setMessage("retention purge failed").setCause(error).log();
                } else if (deleted > 0) {
                    log.atInfo().setMessage("retention purge").addKeyValue("inboxEntriesDeleted", deleted).log();
                }
            });
        }, period, period, TimeUnit.SECONDS);
    }

    /**
     * Deletes uploads left incomplete for {@code files.incompleteTtlSeconds}, and, when messages expire by
     * age, files completed longer ago than that. Every node runs it; in a cluster they delete the same
     * rows, which costs nothing twice.
     */
    private void scheduleFilePurge() {
        ServerConfig.Files files = config.files();
        long maxAgeHours = config.retention().maxAgeHours();
        long period = Math.max(1, Math.min(config.retention().purgeIntervalSeconds(), files.incompleteTtlSeconds()));
        maintenance.scheduleWithFixedDelay(() -> {
            long now = System.currentTimeMillis();
            long completedBefore = maxAgeHours > 0 ? now - TimeUnit.HOURS.toMillis(maxAgeHours) : 0;
            fileStore.purge(now - TimeUnit.SECONDS.toMillis(files.incompleteTtlSeconds()), completedBefore)
                    .whenComplete((deleted, error) -> {
                        if (error != null) {
                            log.atWarn().setMessage("file purge failed").setCause(error).log();
                        } else if (deleted > 0) {
                            log.atInfo().setMessage("file purge").addKeyValue("filesDeleted", deleted).log();
                        }
                    });
        }, period, period, TimeUnit.SECONDS);
    }

    /**
     * Graceful shutdown: not ready, stop accepting, close every connection with 1012 spread over the
     * drain window, then commit the store's queue and release everything, within the deadline.
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        log.atInfo().setMessage("shutting down").addKeyValue("node", cluster.nodeId())
                .addKeyValue("connections", registry.size()).log();
        gateway.stopAccepting();
        try {
            boolean drained = gateway.drain(config.shutdown().drainWindowMillis(), config.shutdown().deadlineMillis());
            if (!drained) {
                log.atWarn().setMessage("deadline passed with connections still open").addKeyValue("connections", registry.size()).log();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        gateway.close();
        authenticator.close(); // a handshake still waiting for a check is closed with the loops, below
        if (api != null) {
            api.close();
        }
        maintenance.shutdownNow();
        messageStore.close(); // commits the queue; its deliveries still reach other nodes
        cluster.close();
        loops.close(); // the Redis connections run on them, and the queue's deliveries above went out on them
        // Last, on threads of its own: after the drain, the store's last commits and every close handler,
        // so the disconnects and the last messages are among what it sends, and after the cluster has left
        // Redis, so a slow backend cannot delay that.
        webhooks.close();
        log.info("stopped");
    }
}
