package dev.switchboard.server.moderation;

import dev.switchboard.server.cluster.ControlBus;
import dev.switchboard.server.cluster.ControlCommand;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.Ban;
import dev.switchboard.server.store.BanStore;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kicks and bans, cluster-wide (R7). Every action goes out on the {@link ControlBus} and is applied
 * by each node — this one included — to its own connections, so single-node and cluster take the
 * same path. Bans are stored first, then announced; each node also keeps an in-memory copy of the
 * active bans for the handshake (no store read on the event loop), re-read from the store by
 * {@link #refreshBans} so a node that missed an announcement catches up.
 */
public final class Moderation {
    private static final Logger log = LoggerFactory.getLogger(Moderation.class);

    private final ConnectionRegistry registry;
    private final ControlBus control;
    private final BanStore banStore;
    private final Map<String, Ban> bans = new ConcurrentHashMap<>();
    /** Bumped by every ban or unban applied here; a store snapshot read across a bump is stale. */
    private final AtomicLong banChanges = new AtomicLong();

    public Moderation(ConnectionRegistry registry, ControlBus control, BanStore banStore) {
        this.registry = registry;
        this.control = control;
        this.banStore = banStore;
    }

    /** Starts applying commands from every node and loads the bans (waits for them: a node must not admit a banned user). */
    public void start() {
        control.start(this::apply);
        refreshBans().join();
    }

    /** Closes the user's connections (one device's when {@code deviceId} is set) with 4003, on every node. */
    public CompletableFuture<Void> kick(String userId, String deviceId, String reason) {
        return control.publish(new ControlCommand(ControlCommand.KICK, userId, deviceId, null, reason, 0));
    }

    /**
     * Single-session login: every connection of the user opened before {@code keep} is kicked, on
     * every node. Only older ones: two logins racing each other must not kick both.
     */
    public CompletableFuture<Void> kickOthers(Connection keep, String reason) {
        return control.publish(new ControlCommand(ControlCommand.KICK, keep.userId(), null, keep.connectionId(), reason,
                keep.openedAtMillis()));
    }

    /** Stores the ban, then closes the user's connections with 4004 on every node. */
    public CompletableFuture<Ban> ban(Ban ban) {
        return banStore.ban(ban).thenCompose(stored -> control.publish(
                new ControlCommand(ControlCommand.BAN, stored.userId(), null, null, stored.reason(), stored.untilMillis()))
                .thenApply(published -> stored));
    }

    /** Lifts a ban; completes with whether there was one. */
    public CompletableFuture<Boolean> unban(String userId) {
        return banStore.unban(userId).thenCompose(existed -> control.publish(
                new ControlCommand(ControlCommand.UNBAN, userId, null, null, null, 0)).thenApply(published -> existed));
    }

    /** The user's active ban, or null. Cheap: called at every handshake. */
    public Ban activeBan(String userId) {
        Ban ban = bans.get(userId);
        if (ban == null) {
            return null;
        }
        if (!ban.isActive(System.currentTimeMillis())) {
            bans.remove(userId, ban);
            return null;
        }
        return ban;
    }

    /** Every active ban, from the store. */
    public CompletableFuture<List<Ban>> activeBans() {
        return banStore.activeBans();
    }

    /**
     * Replaces the in-memory bans with the store's — unless a ban or unban was applied while the
     * store was being read: that snapshot may predate it, and the next refresh will be current.
     */
    public CompletableFuture<Void> refreshBans() {
        long changesBefore = banChanges.get();
        return banStore.activeBans().thenAccept(active -> {
            Map<String, Ban> fresh = new java.util.HashMap<>();
            active.forEach(ban -> fresh.put(ban.userId(), ban));
            synchronized (bans) { // atomic with apply(): a ban or unban is either seen as newer, or not yet applied
                if (banChanges.get() != changesBefore) {
                    return;
                }
                bans.keySet().retainAll(fresh.keySet());
                bans.putAll(fresh);
            }
            for (Ban ban : active) {
                closeAll(ban.userId(), null, null, ban.reason(), true, 0);
            }
        });
    }

    void apply(ControlCommand command) {
        switch (command.action()) {
            case ControlCommand.KICK -> closeAll(command.userId(), command.deviceId(), command.exceptConnectionId(),
                    command.reason() == null ? "kicked" : command.reason(), false, command.untilMillis());
            case ControlCommand.BAN -> {
                synchronized (bans) {
                    banChanges.incrementAndGet();
                    bans.put(command.userId(), new Ban(command.userId(), command.reason(), command.untilMillis()));
                }
                closeAll(command.userId(), null, null, command.reason(), true, 0);
            }
            case ControlCommand.UNBAN -> {
                synchronized (bans) {
                    banChanges.incrementAndGet();
                    bans.remove(command.userId());
                }
            }
            default -> log.atWarn().setMessage("unknown control command").addKeyValue("action", command.action()).log();
        }
    }

    /** Older than the kept connection: by open time, ties broken by connection id, so of two logins exactly one survives. */
    private static boolean openedBefore(Connection connection, long keptOpenedAtMillis, String keptConnectionId) {
        return connection.openedAtMillis() < keptOpenedAtMillis
                || (connection.openedAtMillis() == keptOpenedAtMillis && keptConnectionId != null
                        && connection.connectionId().compareTo(keptConnectionId) < 0);
    }

    /**
     * @param openedBeforeMillis when not 0, only connections opened before this time are closed
     */
    private void closeAll(String userId, String deviceId, String exceptConnectionId, String reason, boolean banned,
                          long openedBeforeMillis) {
        for (Connection connection : registry.connectionsOf(userId)) {
            if ((deviceId != null && !deviceId.equals(connection.deviceId()))
                    || connection.connectionId().equals(exceptConnectionId)
                    || (openedBeforeMillis != 0 && !openedBefore(connection, openedBeforeMillis, exceptConnectionId))) {
                continue;
            }
            log.atInfo().setMessage(banned ? "banned connection closed" : "connection kicked")
                    .addKeyValue("connectionId", connection.connectionId()).addKeyValue("userId", userId)
                    .addKeyValue("reason", reason).log();
            connection.eventLoop().execute(() -> {
                if (banned) {
                    connection.ban(reason);
                } else {
                    connection.kick(reason);
                }
            });
        }
    }
}
