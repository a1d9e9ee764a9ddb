package dev.switchboard.server.store;

/**
 * A user refused at the handshake.
 *
 * @param untilMillis when the ban ends (ms since the epoch); 0 = never
 */
public record Ban(String userId, String reason, long untilMillis) {

    public boolean isActive(long nowMillis) {
        return untilMillis == 0 || untilMillis > nowMillis;
    }
}
