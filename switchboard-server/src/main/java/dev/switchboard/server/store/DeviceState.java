package dev.switchboard.server.store;

/** A device's acknowledged position ({@code cursor}) and its user's newest seq. */
public record DeviceState(long cursor, long lastSeq) {
}
