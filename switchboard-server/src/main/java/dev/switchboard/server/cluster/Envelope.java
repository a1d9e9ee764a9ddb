package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import java.util.List;

/**
 * What one node hands another: a stored message's encoded payload and the inbox entries (user, seq)
 * of the recipients connected to the receiving node. One envelope per node per message, never one
 * per recipient.
 */
public record Envelope(List<Recipient> recipients, byte[] payload) {
}
