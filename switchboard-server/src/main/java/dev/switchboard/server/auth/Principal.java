package dev.switchboard.server.auth;

/**
 * Who a connection belongs to, settled at the handshake.
 *
 * @param userId          the token's {@code sub}, or {@code ?user=} in development mode
 * @param deviceId        the token's {@code device} claim, {@code ?device=}, or a generated id
 * @param expiresAtMillis when the token expires (ms since the epoch); 0 = never
 */
public record Principal(String userId, String deviceId, long expiresAtMillis) {
}
