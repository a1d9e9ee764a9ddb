package dev.switchboard.server.metrics;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;

/** The last few kicks, bans and slow-consumer closes of this node, for the admin page. Bounded. */
public final class RecentEvents {
    private final int capacity;
    private final ArrayDeque<Event> events;

    public RecentEvents(int capacity) {
        this.capacity = capacity;
        this.events = new ArrayDeque<>(capacity);
    }

    /**
     * @param kind "kick", "ban" or "slow_consumer"
     */
    public record Event(long at, String kind, String userId, String connectionId, String reason) {
    }

    synchronized void add(String kind, String userId, String connectionId, String reason) {
        if (events.size() == capacity) {
            events.removeLast();
        }
        events.addFirst(new Event(System.currentTimeMillis(), kind, userId, connectionId, reason));
    }

    /** Newest first. */
    public synchronized List<Event> snapshot() {
        return new ArrayList<>(events);
    }
}
