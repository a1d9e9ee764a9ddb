package dev.switchboard.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.store.Ban;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Kick, ban and presence of users. */
final class UserEndpoints {
    static final int MAX_REASON_LENGTH = 200;
    static final int MAX_PRESENCE_USERS = 200;

    private final ApiServices services;

    UserEndpoints(ApiServices services) {
        this.services = services;
    }

    /** {@code POST /api/v1/users/{userId}/kick}: closes the user's connections (or one device's) on every node. */
    CompletableFuture<ApiResponse> kick(ApiRequest request) {
        String userId = request.userIdInPath();
        JsonNode body = request.optionalBody();
        String deviceId = ApiRequest.optionalString(body, "", "deviceId", Identifiers::isValidDeviceId, "a valid device id");
        String reason = reason(body, "kicked by the server");
        return services.moderation().kick(userId, deviceId, reason).thenApply(published -> {
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            reply.put("userId", userId);
            reply.put("deviceId", deviceId);
            return new ApiResponse(202, reply);
        });
    }

    /** {@code PUT /api/v1/bans/{userId}}: stores the ban and closes the user's connections with 4004. */
    CompletableFuture<ApiResponse> ban(ApiRequest request) {
        String userId = request.userIdInPath();
        JsonNode body = request.optionalBody();
        String reason = reason(body, "banned");
        long durationSeconds = 0;
        JsonNode duration = body.get("durationSeconds");
        if (duration != null && !duration.isNull()) {
            if (!duration.canConvertToExactIntegral() || !duration.canConvertToLong() || duration.asLong() < 0
                    || duration.asLong() > TimeUnit.DAYS.toSeconds(36_500)) {
                throw ApiException.invalid("durationSeconds", "an integer >= 0 (0 = permanent)");
            }
            durationSeconds = duration.asLong();
        }
        long until = durationSeconds == 0 ? 0 : System.currentTimeMillis() + TimeUnit.SECONDS.toMillis(durationSeconds);
        return services.moderation().ban(new Ban(userId, reason, until)).thenApply(ban -> ApiResponse.ok(banJson(ban)));
    }

    /** {@code DELETE /api/v1/bans/{userId}}. */
    CompletableFuture<ApiResponse> unban(ApiRequest request) {
        String userId = request.userIdInPath();
        return services.moderation().unban(userId).thenApply(existed -> {
            if (!existed) {
                throw new ApiException(404, "not_found", "user " + userId + " is not banned", "userId");
            }
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            reply.put("userId", userId);
            reply.put("banned", false);
            return ApiResponse.ok(reply);
        });
    }

    /** {@code GET /api/v1/bans}. */
    CompletableFuture<ApiResponse> bans(ApiRequest request) {
        return services.moderation().activeBans().thenApply(bans -> {
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            var list = reply.putArray("bans");
            bans.forEach(ban -> list.add(banJson(ban)));
            return ApiResponse.ok(reply);
        });
    }

    /** {@code GET /api/v1/presence?users=a,b}. */
    CompletableFuture<ApiResponse> presence(ApiRequest request) {
        String users = request.query("users");
        if (users == null || users.isBlank()) {
            throw ApiException.missing("users");
        }
        Set<String> userIds = new LinkedHashSet<>();
        for (String user : users.split(",", -1)) {
            if (!Identifiers.isValidUserId(user)) {
                throw ApiException.invalid("users", "a comma-separated list of valid user ids");
            }
            userIds.add(user);
        }
        if (userIds.size() > MAX_PRESENCE_USERS) {
            throw ApiException.invalid("users", "at most " + MAX_PRESENCE_USERS + " user ids");
        }
        return services.cluster().routes().online(userIds).thenApply(online -> {
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            ObjectNode map = reply.putObject("online");
            online.forEach(map::put);
            return ApiResponse.ok(reply);
        });
    }

    private static String reason(JsonNode body, String defaultReason) {
        String reason = ApiRequest.optionalString(body, "", "reason",
                value -> value.length() <= MAX_REASON_LENGTH && Identifiers.isStorableText(value),
                "text of at most " + MAX_REASON_LENGTH + " chars");
        return reason == null || reason.isBlank() ? defaultReason : reason;
    }

    private static ObjectNode banJson(Ban ban) {
        ObjectNode json = ApiRequest.JSON.createObjectNode();
        json.put("userId", ban.userId());
        json.put("reason", ban.reason());
        if (ban.untilMillis() == 0) {
            json.putNull("until");
        } else {
            json.put("until", ban.untilMillis());
        }
        return json;
    }
}
