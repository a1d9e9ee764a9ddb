package dev.switchboard.server.store;

/** A message at position {@code seq} of one user's inbox. */
public record InboxEntry(long seq, StoredMessage message) {
}
