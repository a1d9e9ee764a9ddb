package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import java.util.List;

/**
 * Hands a message (or an ephemeral frame) to the other nodes where its recipients are connected.
 * Best effort and at most once, like the {@link Broker} under it: the store holds every entry, and
 * a node that misses an envelope closes the gap from the store. Envelopes handed over from one thread
 * reach each node in the order they were handed over, so a connection's entries arrive in seq order
 * and the common case needs no store read.
 */
public interface RemoteDelivery {

    /**
     * Sends {@code payload} with the recipients' entries to every other node where at least one of
     * {@code recipients} is connected. Returns at once and never blocks; a failure is logged.
     *
     * @param committedAtMillis when the message was committed (wall clock), 0 for an ephemeral frame
     */
    void deliver(List<Recipient> recipients, byte[] payload, long committedAtMillis);
}
