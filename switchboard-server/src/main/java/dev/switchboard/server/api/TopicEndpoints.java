package dev.switchboard.server.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.topic.TopicNames;
import java.util.concurrent.CompletableFuture;

/** {@code POST /api/v1/topics/{topic}/publish}: the server API may publish on any topic. */
final class TopicEndpoints {
    private final ApiServices services;

    TopicEndpoints(ApiServices services) {
        this.services = services;
    }

    CompletableFuture<ApiResponse> publish(ApiRequest request) {
        String topic = request.path("topic", TopicNames::isValid,
                "1-" + TopicNames.MAX_LENGTH + " characters of A-Z a-z 0-9 _ . : @ / -");
        JsonNode body = request.body();
        String dataJson = MessageEndpoints.serialized(ApiRequest.requiredValue(body, "data"), "data");
        int dataBytes = Identifiers.utf8LengthIfPaired(dataJson); // serialized() refused unpaired surrogates
        int limit = services.config().topics().maxDataBytes();
        if (dataBytes > limit) {
            throw new ApiException(413, "payload_too_large", "data is " + dataBytes + " bytes, the limit is " + limit, "data");
        }
        String key = ApiRequest.optionalString(body, "", "idempotencyKey",
                value -> Identifiers.isValidClientId(value) && value.length() <= MessageEndpoints.MAX_IDEMPOTENCY_KEY_LENGTH,
                "a non-blank string of at most " + MessageEndpoints.MAX_IDEMPOTENCY_KEY_LENGTH + " chars");
        services.metrics().messageIn(ServerMetrics.Kind.TOPIC);
        return services.cluster().topics()
                .publish(topic, null, dataJson, services.topicPolicy().historySize(topic), key)
                .thenApply(published -> {
                    ObjectNode reply = ApiRequest.JSON.createObjectNode();
                    reply.put("topic", topic);
                    reply.put("epoch", published.position().epoch());
                    reply.put("offset", published.position().offset());
                    reply.put("duplicate", published.duplicate());
                    return ApiResponse.ok(reply);
                });
    }
}
