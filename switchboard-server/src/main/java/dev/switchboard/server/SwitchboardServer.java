package dev.switchboard.server;

import dev.switchboard.server.auth.HandshakeAuthenticator;
import dev.switchboard.server.auth.OriginPolicy;
import dev.switchboard.server.chat.ChatService;
import dev.switchboard.server.chat.CommandDispatcher;
import dev.switchboard.server.chat.GroupCommands;
import dev.switchboard.server.chat.PresenceCommands;
import dev.switchboard.server.chat.Router;
import dev.switchboard.server.cluster.Cluster;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.gateway.Admission;
import dev.switchboard.server.gateway.GatewayServer;
import dev.switchboard.server.gateway.GatewayServices;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.JdbcDatabase;
import dev.switchboard.server.store.JdbcGroupStore;
import dev.switchboard.server.store.JdbcMessageStore;
import java.nio.file.Path;
import java.time.Clock;
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

    private final ServerConfig config;
    private final JdbcMessageStore messageStore;
    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final GatewayServer gateway;
    private final Cluster cluster;
    private final ScheduledExecutorService maintenance;
    private int port;
    private boolean closed;

    public SwitchboardServer(ServerConfig config) {
        this.config = config;
        if (config.auth().devMode()) {
            log.warn("DEVELOPMENT MODE: ?user= is accepted WITHOUT a token. Never run like this in production.");
        }
        JdbcDatabase database = JdbcDatabase.open(config.store(), Path.of(config.server().dataDirectory()));
        this.messageStore = new JdbcMessageStore(database);
        JdbcGroupStore groupStore = new JdbcGroupStore(database);
        this.cluster = Cluster.create(config.cluster(), registry);
        Router router = new Router(registry, cluster.routes(), cluster.broker());
        if (cluster.broker() != null) {
            // After Redis comes back: routes first (acknowledged), then every local connection re-reads
            // its inbox, so nothing published to this node during the outage stays missing.
            cluster.broker().onResubscribed(() -> cluster.routes().restore()
                    .thenRun(() -> registry.forEach(Connection::catchUp)));
            cluster.broker().start(cluster.nodeId(), router::onEnvelope);
        }
        CommandDispatcher dispatcher = new CommandDispatcher(
                new ChatService(messageStore, router, config.limits().maxBodyBytes()),
                new GroupCommands(groupStore, config.limits().maxGroupMembers()),
                new PresenceCommands(cluster.routes()));
        GatewayServices services = new GatewayServices(config,
                new HandshakeAuthenticator(config.auth(), Clock.systemUTC()),
                new OriginPolicy(config.server().allowedOrigins()),
                registry, dispatcher, messageStore, new Admission(config.server().maxConnections()), cluster);
        this.gateway = new GatewayServer(services);
        this.maintenance = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "maintenance");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts listening; returns the bound port. */
    public int start() throws InterruptedException {
        port = gateway.start();
        scheduleRetention();
        return port;
    }

    public int port() {
        return port;
    }

    public ConnectionRegistry registry() {
        return registry;
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
        maintenance.shutdownNow();
        messageStore.close(); // commits the queue; its deliveries still reach other nodes
        cluster.close();
        log.info("stopped");
    }
}
