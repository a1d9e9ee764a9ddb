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
    private final ConcurrentHashMap<String, Map<String, Connection>> byUser = new ConcurrentHashMap<>();
    private final AtomicInteger size = new AtomicInteger();

    /**
     * Adds {@code connection}; returns the connection of the same user and device it replaced, or null.
     * The caller closes the replaced one.
     */
    public Connection register(Connection connection) {
        Connection[] replaced = new Connection[1];
        byUser.compute(connection.userId(), (userId, devices) -> {
            Map<String, Connection> updated = devices == null ? new HashMap<>(2) : new HashMap<>(devices);
            replaced[0] = updated.put(connection.deviceId(), connection);
            return Map.copyOf(updated);
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
            if (devices.get(connection.deviceId()) != connection) {
                return devices;
            }
            removed[0] = true;
            if (devices.size() == 1) {
                return null;
            }
            Map<String, Connection> updated = new HashMap<>(devices);
            updated.remove(connection.deviceId());
            return Map.copyOf(updated);
        });
        if (removed[0]) {
            size.decrementAndGet();
        }
        return removed[0];
    }

    /** Every live connection of {@code userId} on this node; empty when none. */
    public Collection<Connection> connectionsOf(String userId) {
        Map<String, Connection> devices = byUser.get(userId);
        return devices == null ? List.of() : devices.values();
    }

    /** The connection of one device, or null. */
    public Connection connection(String userId, String deviceId) {
        Map<String, Connection> devices = byUser.get(userId);
        return devices == null ? null : devices.get(deviceId);
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
        byUser.values().forEach(devices -> devices.values().forEach(action));
    }
}
