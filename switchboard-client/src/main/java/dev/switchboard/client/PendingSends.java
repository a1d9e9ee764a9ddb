package dev.switchboard.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The sends not yet confirmed by {@code sent}, in the order the application made them, bounded by
 * {@code maxPendingSends}. After a reconnect they are resent in this order with their original
 * {@code clientId}, which is what lets the server de-duplicate them (docs/PROTOCOL.md section 4).
 *
 * <p>Keyed by the client-chosen {@code ref}, unique per client, so two sends that reuse a
 * {@code clientId} (an idempotency test) are still told apart. Not thread-safe: confined to the client's
 * event loop.
 */
final class PendingSends {
    private final int capacity;
    private final Map<String, PendingSend> byRef = new LinkedHashMap<>();

    /** @param capacity the most sends kept at once; at least 1 */
    PendingSends(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Appends {@code send} at the end of the resend order.
     *
     * @return false, and nothing changes, when {@code capacity} sends are pending already
     * @throws IllegalArgumentException when a send with the same ref is pending
     */
    boolean offer(PendingSend send) {
        if (byRef.size() >= capacity) {
            return false;
        }
        if (byRef.putIfAbsent(send.ref(), send) != null) {
            throw new IllegalArgumentException("duplicate ref " + send.ref());
        }
        return true;
    }

    /** The pending send with this ref, or null. */
    PendingSend get(String ref) {
        return ref == null ? null : byRef.get(ref);
    }

    boolean contains(PendingSend send) {
        return byRef.get(send.ref()) == send;
    }

    /**
     * Removes and returns the send a {@code sent} reply confirms: the one with the reply's {@code ref}
     * when its client id agrees (or the reply has none), else the oldest with the reply's {@code clientId}.
     *
     * @return the confirmed send, or null when none matches (a late reply for a send already failed)
     */
    PendingSend takeConfirmed(String ref, String clientId) {
        PendingSend byReference = get(ref);
        if (byReference != null && (clientId == null || clientId.equals(byReference.clientId()))) {
            return byRef.remove(ref);
        }
        if (clientId == null) {
            return null;
        }
        for (PendingSend send : byRef.values()) {
            if (clientId.equals(send.clientId())) {
                return byRef.remove(send.ref());
            }
        }
        return null;
    }

    /** Removes {@code send}; returns false when it was not pending. */
    boolean remove(PendingSend send) {
        return byRef.remove(send.ref(), send);
    }

    /** A snapshot of the pending sends in resend order. */
    List<PendingSend> inOrder() {
        return new ArrayList<>(byRef.values());
    }

    /** Removes and returns every pending send, in resend order. */
    List<PendingSend> drain() {
        List<PendingSend> all = inOrder();
        byRef.clear();
        return all;
    }

    int size() {
        return byRef.size();
    }

    boolean isFull() {
        return byRef.size() >= capacity;
    }
}
