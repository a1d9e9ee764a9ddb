package dev.switchboard.server.store;

/** A row of the embedded store's {@code inbox_log}: {@code userId}'s entry at {@code seq} refers to {@code messageId}. */
record LoggedEntry(String userId, long seq, long messageId) {
}
