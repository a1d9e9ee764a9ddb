package dev.switchboard.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ClientIds;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.store.AppendRequest;
import dev.switchboard.server.store.InboxEntry;
import java.util.concurrent.CompletableFuture;

/** Durable messages: {@code POST /api/v1/messages} and a user's history page. */
final class MessageEndpoints {
    static final String API_DEVICE = "api";
    private static final String CLIENT_ID_PREFIX = "api:";
    static final int MAX_IDEMPOTENCY_KEY_LENGTH = Identifiers.MAX_CLIENT_ID_LENGTH - CLIENT_ID_PREFIX.length();
    private static final int MAX_HISTORY_PAGE = 1000;

    private final ApiServices services;

    MessageEndpoints(ApiServices services) {
        this.services = services;
    }

    /** Stores a message from {@code from} exactly as a client send would, and delivers it. */
    CompletableFuture<ApiResponse> post(ApiRequest request) {
        JsonNode body = request.body();
        String from = ApiRequest.requiredString(body, "", "from", Identifiers::isValidUserId, "a valid user id");
        JsonNode to = body.get("to");
        if (to == null || to.isNull()) {
            throw ApiException.missing("to");
        }
        if (!to.isObject()) {
            throw ApiException.invalid("to", "an object {kind, id}");
        }
        String kindName = ApiRequest.requiredString(to, "to.", "kind", name -> TargetKind.fromWireName(name) != null,
                "\"user\" or \"group\"");
        TargetKind kind = TargetKind.fromWireName(kindName);
        String targetId = kind == TargetKind.USER
                ? ApiRequest.requiredString(to, "to.", "id", Identifiers::isValidUserId, "a valid user id")
                : ApiRequest.requiredString(to, "to.", "id", Identifiers::isValidGroupId, "a valid group id");
        String bodyJson = serialized(ApiRequest.requiredValue(body, "body"), "body");
        int bodyBytes = Identifiers.utf8LengthIfPaired(bodyJson); // serialized() refused unpaired surrogates
        if (bodyBytes > services.chat().maxBodyBytes()) {
            throw new ApiException(413, "payload_too_large",
                    "body is " + bodyBytes + " bytes, the limit is " + services.chat().maxBodyBytes(), "body");
        }
        String key = ApiRequest.optionalString(body, "", "idempotencyKey",
                value -> Identifiers.isValidClientId(value) && value.length() <= MAX_IDEMPOTENCY_KEY_LENGTH,
                "a non-blank string of at most " + MAX_IDEMPOTENCY_KEY_LENGTH + " chars");
        String clientId = CLIENT_ID_PREFIX + (key != null ? key : ClientIds.next()); // time-ordered: see ClientIds
        services.metrics().messageIn(ServerMetrics.Kind.CHAT);
        return services.chat().append(new AppendRequest(from, API_DEVICE, kind, targetId, clientId, bodyJson,
                        System.currentTimeMillis()))
                .thenApply(result -> {
                    ObjectNode reply = ApiRequest.JSON.createObjectNode();
                    reply.put("messageId", result.message().id());
                    reply.put("createdAt", result.message().createdAt());
                    reply.put("duplicate", result.duplicate());
                    return ApiResponse.ok(reply);
                });
    }

    /** {@code GET /api/v1/users/{userId}/messages?afterSeq=&limit=}: one page of a user's inbox. */
    CompletableFuture<ApiResponse> history(ApiRequest request) {
        String userId = request.userIdInPath();
        long afterSeq = request.queryLong("afterSeq", 0, 0, Long.MAX_VALUE);
        int limit = (int) request.queryLong("limit", 100, 1, MAX_HISTORY_PAGE);
        return services.messages().readInbox(userId, afterSeq, limit).thenApply(page -> {
            ObjectNode reply = ApiRequest.JSON.createObjectNode();
            reply.put("userId", userId);
            var messages = reply.putArray("messages");
            long previous = afterSeq;
            long firstMissing = 0;
            for (InboxEntry entry : page.entries()) {
                if (entry.seq() > previous + 1 && firstMissing == 0) {
                    firstMissing = entry.seq();
                }
                previous = entry.seq();
                ObjectNode message = messages.addObject();
                message.put("seq", entry.seq());
                message.put("id", entry.message().id());
                message.put("from", entry.message().senderId());
                message.put("fromDevice", entry.message().senderDevice());
                ObjectNode target = message.putObject("to");
                target.put("kind", entry.message().targetKind().wireName());
                target.put("id", entry.message().targetId());
                message.put("clientId", entry.message().clientId());
                if (entry.message().fileJson() != null) {
                    message.set("file", parsed(entry.message().fileJson()));
                }
                message.set("body", parsed(entry.message().bodyJson()));
                message.put("createdAt", entry.message().createdAt());
            }
            if (page.entries().isEmpty() && page.lastSeq() > afterSeq) {
                firstMissing = page.lastSeq() + 1; // everything after afterSeq has expired
            }
            // Entries expired by retention are reported, never silently skipped (as for clients):
            // the seq of the first entry that follows expired ones, 0 when none expired.
            reply.put("truncatedBefore", firstMissing);
            reply.put("lastSeq", page.lastSeq());
            reply.put("hasMore", !page.entries().isEmpty() && previous < page.lastSeq());
            return ApiResponse.ok(reply);
        });
    }

    static String serialized(JsonNode value, String field) {
        try {
            String json = ApiRequest.JSON.writeValueAsString(value);
            if (!Identifiers.hasOnlyPairedSurrogates(json)) {
                throw ApiException.invalid(field, "text without unpaired surrogates");
            }
            return json;
        } catch (JsonProcessingException e) {
            throw ApiException.invalid(field, "a JSON value");
        }
    }

    private static JsonNode parsed(String json) {
        try {
            return ApiRequest.JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("stored body is not JSON", e);
        }
    }
}
