package dev.switchboard.server.chat;

import dev.switchboard.server.cluster.Envelope;
import dev.switchboard.server.cluster.RemoteDelivery;
import dev.switchboard.server.metrics.ServerMetrics;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;

import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.AppendResult;
import dev.switchboard.server.store.Recipient;

/**
 * Hands stored inbox entries to the connections that should see them now: this node's through the
 * registry, other nodes' through {@link RemoteDelivery} (one envelope per node, never one publish
 * per member). Users who are not connected anywhere get nothing now and
 * everything on their next resume. Delivery here is best effort by design — the store already holds
 * every entry, and {@link InboxStream} closes any gap from it.
 *
 * @implNote {@link #dispatch} is called on the store's writer thread right after commit, in commit
 * order. Local hand-off there (a few hash lookups and one task per recipient connection) keeps
 * entries for one connection arriving at its event loop in seq order, so the common case never needs
 * a store read; the message is encoded once here and the bytes shared by every recipient and every
 * envelope. Remote delivery keeps commit order too (see {@link RemoteDelivery}'s implementations) and
 * is asynchronous: it never waits for Redis on the writer.
 */
public final class Router {
    private final ConnectionRegistry registry;
    private final RemoteDelivery remote;

    /**
     * @param remote null for a single node
     */
    public Router(ConnectionRegistry registry, RemoteDelivery remote) {
        this.registry = registry;
        this.remote = remote;
    }

    /**
     * Delivers a stored message to every live connection of every recipient, cluster-wide. A duplicate
     * (a resend) is delivered again: its original may never have been, when its commit reported a
     * failure but took effect. A connection that already has an entry's seq drops it ({@link InboxStream}).
     *
     * @return the message as encoded for the recipients ({@link OutboundMessages#messagePayload}), for other
     *         uses of the same bytes; null when there was nobody to deliver to
     */
    public byte[] dispatch(AppendResult result) {
        if (result.recipients().isEmpty()) {
            return null;
        }
        long committedAtNanos = System.nanoTime();
        byte[] payload = OutboundMessages.messagePayload(result.message());
        for (Recipient recipient : result.recipients()) {
            deliverLocally(recipient, payload, committedAtNanos);
        }
        if (remote != null) {
            remote.deliver(result.recipients(), payload, System.currentTimeMillis());
        }
        return payload;
    }

    /**
     * Writes a complete frame that is in no inbox (a presence event) to every live connection of
     * {@code userIds}, cluster-wide. Best effort.
     */
    public void dispatchEphemeral(Collection<String> userIds, byte[] frame) {
        List<Recipient> recipients = new ArrayList<>(userIds.size());
        for (String userId : userIds) {
            recipients.add(new Recipient(userId, Envelope.EPHEMERAL));
            deliverEphemeral(userId, frame);
        }
        if (remote != null) {
            remote.deliver(recipients, frame, 0);
        }
    }

    /** An envelope from another node: its recipients connected here get their entries. */
    public void onEnvelope(Envelope envelope) {
        long committedAtNanos = envelope.committedAtMillis() == 0 ? 0
                : System.nanoTime() - TimeUnit.MILLISECONDS.toNanos(Math.max(0, System.currentTimeMillis() - envelope.committedAtMillis()));
        for (Recipient recipient : envelope.recipients()) {
            if (recipient.seq() == Envelope.EPHEMERAL) {
                deliverEphemeral(recipient.userId(), envelope.payload());
            } else {
                deliverLocally(recipient, envelope.payload(), committedAtNanos);
            }
        }
    }

    private void deliverEphemeral(String userId, byte[] frame) {
        for (Connection connection : registry.connectionsOf(userId)) {
            connection.eventLoop().execute(() -> {
                if (connection.isOpen() && connection.writeShared(frame)) {
                    connection.metrics().messagesOut(ServerMetrics.Kind.PRESENCE, 1);
                }
            });
        }
    }

    private void deliverLocally(Recipient recipient, byte[] payload, long committedAtNanos) {
        for (Connection connection : registry.connectionsOf(recipient.userId())) {
            connection.deliverLive(recipient.seq(), payload, committedAtNanos);
        }
    }
}
