package dev.switchboard.server.api;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.switchboard.protocol.Identifiers;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * One API call: path parameters, query, and the JSON body, with validating accessors that throw
 * {@link ApiException} naming the field at fault.
 */
public final class ApiRequest {
    static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final Map<String, String> pathParameters;
    private final Map<String, List<String>> query;
    private final JsonNode body;

    ApiRequest(Map<String, String> pathParameters, Map<String, List<String>> query, JsonNode body) {
        this.pathParameters = pathParameters;
        this.query = query;
        this.body = body == null ? NullNode.getInstance() : body;
    }

    /** A path parameter, checked with {@code valid}. */
    public String path(String name, Predicate<String> valid, String expectation) {
        String value = pathParameters.get(name);
        if (value == null || !valid.test(value)) {
            throw new ApiException(400, "invalid_field", "path parameter '" + name + "' must be " + expectation, name);
        }
        return value;
    }

    public String userIdInPath() {
        return path("userId", Identifiers::isValidUserId, "a valid user id");
    }

    /** A query parameter, or null. */
    public String query(String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** An optional query parameter as a long in [min, max]. */
    public long queryLong(String name, long defaultValue, long min, long max) {
        String value = query(name);
        if (value == null) {
            return defaultValue;
        }
        try {
            long parsed = Long.parseLong(value);
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // answered below
        }
        throw new ApiException(400, "invalid_field", "query parameter '" + name + "' must be an integer from "
                + min + " to " + max, name);
    }

    /** The body, which must be a JSON object. */
    public JsonNode body() {
        if (!body.isObject()) {
            throw new ApiException(400, "bad_json", "the request body must be a JSON object", null);
        }
        return body;
    }

    /** The body if one was sent (an object), else an empty object. */
    public JsonNode optionalBody() {
        return body.isNull() ? JSON.createObjectNode() : body();
    }

    /** A required string field of {@code node} (path {@code prefix + field}), checked with {@code valid}. */
    public static String requiredString(JsonNode node, String prefix, String field, Predicate<String> valid, String expectation) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw ApiException.missing(prefix + field);
        }
        if (!value.isTextual() || !valid.test(value.asText())) {
            throw ApiException.invalid(prefix + field, expectation);
        }
        return value.asText();
    }

    /** An optional string field; null when absent. */
    public static String optionalString(JsonNode node, String prefix, String field, Predicate<String> valid, String expectation) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        return requiredString(node, prefix, field, valid, expectation);
    }

    /** A required JSON value of any type (may be JSON null only if present). */
    public static JsonNode requiredValue(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null) {
            throw ApiException.missing(field);
        }
        return value;
    }
}
