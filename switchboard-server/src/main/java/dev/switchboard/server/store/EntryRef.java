package dev.switchboard.server.store;

/** An inbox entry as the embedded store keeps it: its seq and the id of its message (see {@link PackedInbox}). */
record EntryRef(long seq, long messageId) {
}
