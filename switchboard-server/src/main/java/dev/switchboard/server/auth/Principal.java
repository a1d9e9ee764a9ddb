package dev.switchboard.server.auth;

import dev.switchboard.server.topic.TopicGrants;

/**
 * Who a connection belongs to, settled at the handshake.
 *
 * @param userId          the token's {@code sub}, or {@code ?user=} in development mode
 * @param deviceId        the token's {@code device} claim, {@code ?device=}, or a generated id
 * @param expiresAtMillis when the token expires (ms since the epoch); 0 = never
 * @param topicGrants     topic permissions from the token's {@code topics} claim (all of them in development mode)
 */
public record Principal(String userId, String deviceId, long expiresAtMillis, TopicGrants topicGrants) {

    public Principal(String userId, String deviceId, long expiresAtMillis) {
        this(userId, deviceId, expiresAtMillis, TopicGrants.NONE);
    }
}
