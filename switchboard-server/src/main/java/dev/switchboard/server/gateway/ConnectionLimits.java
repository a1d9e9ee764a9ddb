package dev.switchboard.server.gateway;

import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.ConcurrentHashMap;

/**
 * This node's WebSocket connections per client address and per user, capped (R2). A limit of 0 is off
 * and costs nothing per connection.
 *
 * <p>Counts are exact: a slot is taken atomically before the upgrade ({@link #tryAcquire}) and given
 * back when the channel closes. Each count lives in a map entry that exists only while its address or
 * user has a connection here, so the maps hold at most one entry per open connection.
 *
 * @implNote The values are {@link Integer}s updated with {@code compute}: the JVM caches the boxes of
 * small counts, so an entry costs its map node and nothing else, and no lock is shared between
 * addresses or users (the map locks one bin at a time).
 */
public final class ConnectionLimits {
    /** Why {@link #tryAcquire} refused, or null if it did not. */
    public enum Refusal { ADDRESS, USER }

    private final int maxPerAddress;
    private final int maxPerUser;
    private final ConcurrentHashMap<String, Integer> byAddress = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Integer> byUser = new ConcurrentHashMap<>();

    /** @param maxPerAddress connections per client address, 0 = no limit; @param maxPerUser per user id, 0 = no limit */
    public ConnectionLimits(int maxPerAddress, int maxPerUser) {
        if (maxPerAddress < 0 || maxPerUser < 0) {
            throw new IllegalArgumentException("connection limits must be 0 (off) or positive");
        }
        this.maxPerAddress = maxPerAddress;
        this.maxPerUser = maxPerUser;
    }

    public boolean isEnabled() {
        return maxPerAddress > 0 || maxPerUser > 0;
    }

    /** Whether connections are counted per client address (the handshake must then work out the address). */
    public boolean limitsAddresses() {
        return maxPerAddress > 0;
    }

    /** A cheap look before the token is verified: is this address already at its limit? Not a reservation. */
    public boolean isAddressFull(String address) {
        if (maxPerAddress == 0 || address == null) {
            return false;
        }
        Integer count = byAddress.get(address);
        return count != null && count >= maxPerAddress;
    }

    /**
     * Takes a slot for one connection of {@code userId} from {@code address}: both or neither. A null
     * user (the echo endpoint) or address (not needed: no address limit) is not counted.
     * Each success must be matched by {@link #release} (see {@link #releaseOnClose}).
     *
     * @return null when admitted, else which limit refused
     */
    public Refusal tryAcquire(String address, String userId) {
        return tryAcquire(address, userId, false);
    }

    /**
     * {@link #tryAcquire(String, String)}, for a connection that will replace one of the same user on this
     * node when {@code replacing} (the same device reconnecting, or a single-session login): it is counted
     * but never refused by the user limit, since the connection it replaces gives its slot back when it
     * closes. Without this a phone whose old socket died silently could not reconnect until the heartbeat
     * noticed.
     */
    public Refusal tryAcquire(String address, String userId, boolean replacing) {
        if (maxPerAddress > 0 && address != null && !increment(byAddress, address, maxPerAddress)) {
            return Refusal.ADDRESS;
        }
        if (maxPerUser > 0 && userId != null
                && !increment(byUser, userId, replacing ? Integer.MAX_VALUE : maxPerUser)) {
            if (maxPerAddress > 0 && address != null) {
                decrement(byAddress, address);
            }
            return Refusal.USER;
        }
        return null;
    }

    /** Gives back the slot taken by a successful {@link #tryAcquire} with the same arguments. */
    public void release(String address, String userId) {
        if (maxPerAddress > 0 && address != null) {
            decrement(byAddress, address);
        }
        if (maxPerUser > 0 && userId != null) {
            decrement(byUser, userId);
        }
    }

    /** A listener for the channel's close future that releases the slot. */
    public ChannelFutureListener releaseOnClose(String address, String userId) {
        return closed -> release(address, userId);
    }

    /** Connections counted for {@code address} (0 when none or when the limit is off). */
    public int connectionsFrom(String address) {
        return byAddress.getOrDefault(address, 0);
    }

    /** Connections counted for {@code userId} (0 when none or when the limit is off). */
    public int connectionsOfUser(String userId) {
        return byUser.getOrDefault(userId, 0);
    }

    /** Addresses and users with at least one counted connection (both maps' sizes together). */
    public int trackedEntries() {
        return byAddress.size() + byUser.size();
    }

    private static boolean increment(ConcurrentHashMap<String, Integer> counts, String key, int limit) {
        boolean[] admitted = new boolean[1];
        counts.compute(key, (ignored, count) -> {
            int current = count == null ? 0 : count;
            if (current >= limit) {
                return count;
            }
            admitted[0] = true;
            return current + 1;
        });
        return admitted[0];
    }

    private static void decrement(ConcurrentHashMap<String, Integer> counts, String key) {
        counts.computeIfPresent(key, (ignored, count) -> count <= 1 ? null : count - 1);
    }
}
