package dev.switchboard.server.topic;

/** Where a publication landed; {@code duplicate} when its idempotency key was seen before (nothing was published). */
public record PublishResult(StreamPosition position, boolean duplicate) {
}
