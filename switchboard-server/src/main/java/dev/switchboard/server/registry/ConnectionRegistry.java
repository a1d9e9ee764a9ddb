package dev.switchboard.server.registry;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * This node's live connections: user id → device id → connection. One connection per device
 * (a newer one replaces the older, which the caller kicks).
 *
 * @implNote Lookups are lock-free: a {@link ConcurrentHashMap} keyed by user whose values are small
 * immutable device maps, replaced copy-on-write under the map's per-bin lock. Users have a handful of
 * devices, so the copy is a few entries, and the hot path ({@link #connectionsOf}, once per
 * recipient of every message) reads a single volatile reference with no global lock.
 * Group fan-out goes through the same lookup, per recipient, because every recipient gets its own
 * seq: there is no per-group index to keep consistent with membership changes.
 */
public final class ConnectionRegistry {
    /**
     * Per user: the {@link Connection} itself while the user has one device here (the common case), a
     * {@code Map<String, Connection>} by device id once there are more. Values are immutable and replaced
     * whole inside {@code compute}, so readers need no lock.
     *
     * @implNote Idle connections are the bulk of a node's memory: a one-entry map per user plus its cached
     * values view cost 48 bytes that the direct reference does not.
     */
    private final ConcurrentHashMap<String, Object> byUser = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();
    private final ConnectionIds connectionIds = new ConnectionIds();

    /** Where a connection about to be registered takes its id (unique across the cluster and restarts). */
    public ConnectionIds connectionIds() {
        return connectionIds;
    }

    /**
     * Adds {@code connection}; returns the connection of the same user and device it replaced, or null.
     * The caller closes the replaced one.
     */
    public Connection register(Connection connection) {
        Connection[] replaced = new Connection[1];
        byUser.compute(connection.userId(), (userId, devices) -> {
            if (devices == null) {
                return connection;
            }
            Map<String, Connection> updated = new HashMap<>(devicesOf(devices));
            replaced[0] = updated.put(connection.deviceId(), connection);
            return updated.size() == 1 ? connection : Map.copyOf(updated);
        });
        if (replaced[0] == null) {
            size.incrementAndGet();
        }
        return replaced[0];
    }

    /** Removes {@code connection} if it is still the registered one for its device; returns whether it was. */
    public boolean unregister(Connection connection) {
        boolean[] removed = new boolean[1];
        byUser.computeIfPresent(connection.userId(), (userId, devices) -> {
            Map<String, Connection> current = devicesOf(devices);
            if (current.get(connection.deviceId()) != connection) {
                return devices;
            }
            removed[0] = true;
            if (current.size() == 1) {
                return null;
            }
            Map<String, Connection> updated = new HashMap<>(current);
            updated.remove(connection.deviceId());
            return updated.size() == 1 ? updated.values().iterator().next() : Map.copyOf(updated);
        });
        if (removed[0]) {
            size.decrementAndGet();
        }
        return removed[0];
    }

    /** Every live connection of {@code userId} on this node; empty when none. */
    public Collection<Connection> connectionsOf(String userId) {
        Object devices = byUser.get(userId);
        if (devices == null) {
            return List.of();
        }
        return devices instanceof Connection single ? List.of(single) : devicesOf(devices).values();
    }

    /** The connection of one device, or null. */
    public Connection connection(String userId, String deviceId) {
        Object devices = byUser.get(userId);
        if (devices instanceof Connection single) {
            return single.deviceId().equals(deviceId) ? single : null;
        }
        return devices == null ? null : devicesOf(devices).get(deviceId);
    }

    /** The users with at least one connection here (a snapshot). */
    public List<String> userIds() {
        return List.copyOf(byUser.keySet());
    }

    public int size() {
        return size.get();
    }

    public int userCount() {
        return byUser.size();
    }

    /** Visits every connection (a weakly consistent snapshot). */
    public void forEach(Consumer<Connection> action) {
        byUser.values().forEach(devices -> {
            if (devices instanceof Connection single) {
                action.accept(single);
            } else {
                devicesOf(devices).values().forEach(action);
            }
        });
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Connection> devicesOf(Object devices) {
        return devices instanceof Connection single ? Map.of(single.deviceId(), single) : (Map<String, Connection>) devices;
    }
}
