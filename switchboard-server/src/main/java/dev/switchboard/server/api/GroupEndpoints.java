package dev.switchboard.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.store.GroupInfo;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/** Group management for backends: create, delete, members. */
final class GroupEndpoints {
    static final int MAX_NAME_LENGTH = 100;

    private final ApiServices services;

    GroupEndpoints(ApiServices services) {
        this.services = services;
    }

    /** {@code POST /api/v1/groups}. */
    CompletableFuture<ApiResponse> create(ApiRequest request) {
        JsonNode body = request.body();
        String groupId = ApiRequest.requiredString(body, "", "groupId", Identifiers::isValidGroupId, "a valid group id");
        String owner = ApiRequest.requiredString(body, "", "owner", Identifiers::isValidUserId, "a valid user id");
        String name = ApiRequest.optionalString(body, "", "name",
                value -> !value.isBlank() && value.length() <= MAX_NAME_LENGTH && Identifiers.isStorableText(value),
                "a non-blank name of at most " + MAX_NAME_LENGTH + " chars");
        Set<String> members = new LinkedHashSet<>();
        JsonNode list = body.get("members");
        if (list != null && !list.isNull()) {
            if (!list.isArray()) {
                throw ApiException.invalid("members", "an array of user ids");
            }
            for (int i = 0; i < list.size(); i++) {
                JsonNode member = list.get(i);
                if (!member.isTextual() || !Identifiers.isValidUserId(member.asText())) {
                    throw ApiException.invalid("members[" + i + "]", "a valid user id");
                }
                members.add(member.asText());
            }
        }
        int maxMembers = services.config().limits().maxGroupMembers();
        return services.groups().create(groupId, name == null ? groupId : name, owner, members, maxMembers)
                .thenApply(group -> new ApiResponse(201, groupJson(group)));
    }

    /** {@code DELETE /api/v1/groups/{groupId}}. */
    CompletableFuture<ApiResponse> delete(ApiRequest request) {
        String groupId = groupIdInPath(request);
        return services.groups().delete(groupId).thenApply(deleted -> {
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            reply.put("groupId", groupId);
            reply.put("deleted", true);
            return ApiResponse.ok(reply);
        });
    }

    /** {@code GET /api/v1/groups/{groupId}/members}. */
    CompletableFuture<ApiResponse> members(ApiRequest request) {
        return services.groups().members(groupIdInPath(request), null).thenApply(group -> ApiResponse.ok(groupJson(group)));
    }

    /** {@code POST /api/v1/groups/{groupId}/members} {@code {"userId"}}. */
    CompletableFuture<ApiResponse> addMember(ApiRequest request) {
        String groupId = groupIdInPath(request);
        String userId = ApiRequest.requiredString(request.body(), "", "userId", Identifiers::isValidUserId, "a valid user id");
        return services.groups().join(groupId, userId, services.config().limits().maxGroupMembers())
                .thenApply(group -> ApiResponse.ok(groupJson(group)));
    }

    /** {@code DELETE /api/v1/groups/{groupId}/members/{userId}}. */
    CompletableFuture<ApiResponse> removeMember(ApiRequest request) {
        String groupId = groupIdInPath(request);
        String userId = request.userIdInPath();
        return services.groups().leave(groupId, userId).thenApply(group -> ApiResponse.ok(groupJson(group)));
    }

    private static String groupIdInPath(ApiRequest request) {
        return request.path("groupId", Identifiers::isValidGroupId, "a valid group id");
    }

    private static ObjectNode groupJson(GroupInfo group) {
        ObjectNode json = ApiRequest.JSON.createObjectNode();
        json.put("groupId", group.groupId());
        json.put("name", group.name());
        var members = json.putArray("members");
        group.members().forEach(members::add);
        return json;
    }
}
