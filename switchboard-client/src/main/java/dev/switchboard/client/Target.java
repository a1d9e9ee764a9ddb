package dev.switchboard.client;

import dev.switchboard.protocol.TargetKind;
import java.util.Objects;

/**
 * The recipient of a chat message: one user (1:1) or a group, the {@code to} object of the wire protocol.
 * The id's syntax is checked by the server, which answers {@code invalid_field} for a bad one.
 *
 * @param kind user or group, never null
 * @param id   the user id or group id, never null
 */
public record Target(TargetKind kind, String id) {

    public Target {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(id, "id");
    }

    /** A 1:1 message to the user {@code userId}. */
    public static Target user(String userId) {
        return new Target(TargetKind.USER, userId);
    }

    /** A message to every member of the group {@code groupId}; the sender must be a member. */
    public static Target group(String groupId) {
        return new Target(TargetKind.GROUP, groupId);
    }
}
