package dev.switchboard.server.store;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A map that keeps at most {@code capacity} entries and drops the least recently used one beyond
 * that: the writer's caches of committed state. Not thread-safe; each cache is confined to the writer
 * thread.
 */
final class LeastRecentlyUsed<K, V> extends LinkedHashMap<K, V> {
    private static final long serialVersionUID = 1L;

    private final int capacity;

    LeastRecentlyUsed(int capacity) {
        super(1024, 0.75f, true); // access order: a read makes an entry the most recently used
        this.capacity = capacity;
    }

    @Override
    protected boolean removeEldestEntry(Map.Entry<K, V> eldest) {
        return size() > capacity;
    }
}
