package dev.switchboard.client;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

/**
 * The sends not yet confirmed by {@code sent}, in the order the application made them, bounded by
 * {@code maxPendingSends}. After a reconnect they are resent in this order with their original
 * {@code clientId}, which is what lets the server de-duplicate them (docs/PROTOCOL.md section 4).
 *
 * <p>Among them, the <em>due</em> sends are those waiting to be transmitted on the current connection:
 * new ones, every one after a {@code welcome} ({@link #requeueAll}), and one refused with a retryable
 * error ({@link #requeue}). {@link #peekDue()} is always the earliest in call order, so a send put back
 * for a retry goes out again before any later send that has not gone out yet.
 *
 * <p>Keyed by the client-chosen {@code ref}, unique per client, so two sends that reuse a
 * {@code clientId} (an idempotency test) are still told apart. Not thread-safe: confined to the client's
 * event loop.
 */
final class PendingSends {
    private final int capacity;
    private final Map<String, PendingSend> byRef = new LinkedHashMap<>();
    private final NavigableMap<Long, PendingSend> due = new TreeMap<>();
    private long nextOrder;

    /** @param capacity the most sends kept at once; at least 1 */
    PendingSends(int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1, got " + capacity);
        }
        this.capacity = capacity;
    }

    /**
     * Appends {@code send} at the end of the resend order, and to the due sends.
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
        send.assignOrder(nextOrder++);
        due.put(send.order(), send);
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
            return forget(byRef.remove(ref));
        }
        if (clientId == null) {
            return null;
        }
        for (PendingSend send : byRef.values()) {
            if (clientId.equals(send.clientId())) {
                return forget(byRef.remove(send.ref()));
            }
        }
        return null;
    }

    /** Removes {@code send}; returns false when it was not pending. */
    boolean remove(PendingSend send) {
        if (!byRef.remove(send.ref(), send)) {
            return false;
        }
        forget(send);
        return true;
    }

    /** A snapshot of the pending sends in resend order. */
    List<PendingSend> inOrder() {
        return new ArrayList<>(byRef.values());
    }

    /** Removes and returns every pending send, in resend order. */
    List<PendingSend> drain() {
        List<PendingSend> all = inOrder();
        byRef.clear();
        due.clear();
        return all;
    }

    /** The earliest due send in call order, or null when none is due. */
    PendingSend peekDue() {
        Map.Entry<Long, PendingSend> first = due.firstEntry();
        return first == null ? null : first.getValue();
    }

    /** Removes the earliest due send (it is being transmitted) and releases its hold; null when none is due. */
    PendingSend pollDue() {
        Map.Entry<Long, PendingSend> first = due.pollFirstEntry();
        if (first == null) {
            return null;
        }
        first.getValue().releaseHold();
        return first.getValue();
    }

    /**
     * Makes a transmitted {@code send} due again, held until {@code notBeforeNanos}: a retryable error.
     * Until then no later send is transmitted either, since {@link #peekDue()} returns it first.
     *
     * @return false, and nothing changes, when {@code send} is not pending
     */
    boolean requeue(PendingSend send, long notBeforeNanos) {
        if (!contains(send)) {
            return false;
        }
        send.holdUntil(notBeforeNanos);
        due.put(send.order(), send);
        return true;
    }

    /** A new connection: every pending send is due again, in call order, without holds. */
    void requeueAll() {
        due.clear();
        for (PendingSend send : byRef.values()) {
            send.releaseHold();
            due.put(send.order(), send);
        }
    }

    int dueCount() {
        return due.size();
    }

    int size() {
        return byRef.size();
    }

    boolean isFull() {
        return byRef.size() >= capacity;
    }

    private PendingSend forget(PendingSend send) {
        due.remove(send.order(), send);
        return send;
    }
}
