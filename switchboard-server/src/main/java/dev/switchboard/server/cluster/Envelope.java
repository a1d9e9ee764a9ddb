package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import java.util.List;

/**
 * What one node hands another: a stored message's encoded payload and the inbox entries (user, seq)
 * of its recipients: those connected to the receiving node, or for a message with few recipients
 * all of them ({@link RedisDelivery}); the receiving node delivers to the ones connected to it. One
 * envelope per node per message, never one per recipient.
 *
 * <p>An envelope whose recipients all have seq {@link #EPHEMERAL} carries a complete frame that is
 * not in any inbox (a presence event): it is written as is to the recipients' connections.
 *
 * @param committedAtMillis when the storing node committed the message (wall clock), for the
 *                          delivery latency metric; 0 for ephemeral frames
 */
public record Envelope(List<Recipient> recipients, byte[] payload, long committedAtMillis) {
    public static final long EPHEMERAL = -1;
}
