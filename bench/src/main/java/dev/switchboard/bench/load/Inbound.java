package dev.switchboard.bench.load;

/** What an inbound frame is, as far as the load generator cares. */
public enum Inbound {
    /** The server accepted the session (Switchboard {@code welcome}, the peers' {@code welcome}). */
    WELCOME,
    /** A 1:1 or group chat message. */
    MESSAGE,
    /** A topic publication. */
    PUBLICATION,
    /** A reply to a request (subscribe, publish, send): counts as an acknowledgement. */
    REPLY,
    /** Anything else (pings, presence, synced …). */
    OTHER
}
