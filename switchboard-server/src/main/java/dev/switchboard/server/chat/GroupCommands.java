package dev.switchboard.server.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.protocol.MessageType;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.store.GroupInfo;
import dev.switchboard.server.store.GroupStore;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

/** The {@code group.*} requests: create, join, leave, members, list. Replies are {@code result} messages. */
public final class GroupCommands {
    private static final int MAX_NAME_LENGTH = 200;

    private final GroupStore groups;
    private final int maxGroupMembers;

    public GroupCommands(GroupStore groups, int maxGroupMembers) {
        this.groups = groups;
        this.maxGroupMembers = maxGroupMembers;
    }

    /** Handles one group request on the connection's event loop; the reply comes when the store answers. */
    void handle(Session session, MessageType type, String ref, JsonNode request) {
        String userId = session.connection().userId();
        CompletableFuture<JsonNode> reply = switch (type) {
            case GROUP_CREATE -> create(userId, request);
            case GROUP_JOIN -> groups.join(groupId(request), userId, maxGroupMembers).thenApply(GroupCommands::toJson);
            case GROUP_LEAVE -> groups.leave(groupId(request), userId).thenApply(GroupCommands::toJson);
            case GROUP_MEMBERS -> groups.members(groupId(request), userId).thenApply(GroupCommands::toJson);
            case GROUP_LIST -> groups.groupsOf(userId).thenApply(GroupCommands::toJson);
            default -> throw new IllegalArgumentException("not a group request: " + type);
        };
        reply.whenCompleteAsync((data, error) -> {
            if (error != null) {
                session.replyFailure(ref, error);
            } else {
                session.connection().reply(OutboundMessages.result(ref, data));
            }
        }, session.connection().eventLoop());
    }

    private CompletableFuture<JsonNode> create(String userId, JsonNode request) {
        String groupId = RequestFields.optionalString(request, "groupId", Identifiers::isValidGroupId, "a valid group id");
        if (groupId == null) {
            groupId = "g-" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
        }
        String name = RequestFields.optionalString(request, "name",
                value -> !value.isBlank() && value.length() <= MAX_NAME_LENGTH && Identifiers.isStorableText(value),
                "1-" + MAX_NAME_LENGTH + " chars without control characters");
        List<String> members = members(request);
        return groups.create(groupId, name == null ? groupId : name, userId, members, maxGroupMembers)
                .thenApply(GroupCommands::toJson);
    }

    private List<String> members(JsonNode request) {
        JsonNode node = request.get("members");
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray() || node.size() > maxGroupMembers) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD,
                    "field 'members' must be an array of at most " + maxGroupMembers + " user ids");
        }
        List<String> members = new ArrayList<>(node.size());
        for (JsonNode member : node) {
            if (!member.isTextual() || !Identifiers.isValidUserId(member.asText())) {
                throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field 'members' contains an invalid user id");
            }
            members.add(member.asText());
        }
        return members;
    }

    private static String groupId(JsonNode request) {
        return RequestFields.requiredString(request, "groupId", Identifiers::isValidGroupId, "a valid group id");
    }

    private static JsonNode toJson(GroupInfo group) {
        ObjectNode node = OutboundMessages.JSON.createObjectNode();
        node.put("groupId", group.groupId());
        node.put("name", group.name());
        ArrayNode members = node.putArray("members");
        group.members().forEach(members::add);
        return node;
    }

    private static JsonNode toJson(List<GroupInfo> list) {
        ObjectNode node = OutboundMessages.JSON.createObjectNode();
        ArrayNode array = node.putArray("groups");
        for (GroupInfo group : list) {
            array.addObject().put("groupId", group.groupId()).put("name", group.name());
        }
        return node;
    }
}
