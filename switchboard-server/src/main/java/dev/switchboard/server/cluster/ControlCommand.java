package dev.switchboard.server.cluster;

/**
 * An instruction for every node about one user's connections.
 *
 * @param action             {@code kick} (close with 4003), {@code ban} (close with 4004 and refuse
 *                           new handshakes), {@code unban}
 * @param userId             whose connections
 * @param deviceId           only this device's connection; null = all of them
 * @param exceptConnectionId spare this connection (the new one, under the single-session policy); may be null
 * @param reason             told to the client in {@code kicked}
 * @param untilMillis        for {@code ban}: when it ends, 0 = never; for {@code kick} with
 *                           {@code exceptConnectionId}: only connections opened before this time
 *                           (ms since the epoch) are kicked, 0 = all
 */
public record ControlCommand(String action, String userId, String deviceId, String exceptConnectionId,
                             String reason, long untilMillis) {
    public static final String KICK = "kick";
    public static final String BAN = "ban";
    public static final String UNBAN = "unban";
}
