package dev.switchboard.server.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.presence.Presence;
import java.util.LinkedHashSet;
import java.util.Set;

/** The {@code presence.query} request: which of up to {@value #MAX_USERS} users are online. */
public final class PresenceCommands {
    static final int MAX_USERS = 200;

    private final Presence presence;

    public PresenceCommands(Presence presence) {
        this.presence = presence;
    }

    void query(Session session, String ref, JsonNode request) {
        JsonNode users = request.get("users");
        if (users == null || users.isNull()) {
            throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field 'users'");
        }
        if (!users.isArray() || users.isEmpty() || users.size() > MAX_USERS) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD,
                    "field 'users' must be an array of 1-" + MAX_USERS + " user ids");
        }
        Set<String> userIds = new LinkedHashSet<>();
        for (JsonNode user : users) {
            if (!user.isTextual() || !Identifiers.isValidUserId(user.asText())) {
                throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field 'users' contains an invalid user id");
            }
            userIds.add(user.asText());
        }
        presence.online(userIds).whenCompleteAsync((online, error) -> {
            if (error != null) {
                session.replyFailure(ref, error);
                return;
            }
            ObjectNode data = OutboundMessages.JSON.createObjectNode();
            ObjectNode map = data.putObject("online");
            online.forEach(map::put);
            session.connection().reply(OutboundMessages.result(ref, data));
        }, session.connection().eventLoop());
    }
}
