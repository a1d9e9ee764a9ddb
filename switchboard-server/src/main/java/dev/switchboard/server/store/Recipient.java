package dev.switchboard.server.store;

/** One inbox entry created by an append: {@code userId}'s inbox got the message at {@code seq}. */
public record Recipient(String userId, long seq) {
}
