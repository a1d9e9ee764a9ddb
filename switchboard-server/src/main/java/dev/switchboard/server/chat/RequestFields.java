package dev.switchboard.server.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.RequestRejectedException;
import java.util.function.Predicate;

/** Field extraction for client requests; every failure names the field (missing_field / invalid_field). */
final class RequestFields {
    private RequestFields() {
    }

    static String requiredString(JsonNode request, String field, Predicate<String> valid, String expectation) {
        JsonNode node = request.get(field);
        if (node == null || node.isNull()) {
            throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field '" + field + "'");
        }
        return checkString(node, field, valid, expectation);
    }

    static String optionalString(JsonNode request, String field, Predicate<String> valid, String expectation) {
        JsonNode node = request.get(field);
        return node == null || node.isNull() ? null : checkString(node, field, valid, expectation);
    }

    private static String checkString(JsonNode node, String field, Predicate<String> valid, String expectation) {
        if (!node.isTextual() || !valid.test(node.asText())) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field '" + field + "' must be " + expectation);
        }
        return node.asText();
    }

    static long requiredSeq(JsonNode request, String field) {
        JsonNode node = request.get(field);
        if (node == null || node.isNull()) {
            throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field '" + field + "'");
        }
        return checkSeq(node, field);
    }

    /** Returns -1 when absent. */
    static long optionalSeq(JsonNode request, String field) {
        JsonNode node = request.get(field);
        return node == null || node.isNull() ? -1 : checkSeq(node, field);
    }

    private static long checkSeq(JsonNode node, String field) {
        if (!node.canConvertToExactIntegral() || !node.canConvertToLong() || node.asLong() < 0) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD,
                    "field '" + field + "' must be an integer >= 0");
        }
        return node.asLong();
    }

    static String ref(JsonNode request) {
        JsonNode node = request.get("ref");
        if (node == null || node.isNull()) {
            return null;
        }
        String ref = node.isTextual() ? node.asText() : node.isNumber() ? node.asText() : null;
        if (ref == null || ref.length() > Identifiers.MAX_REF_LENGTH) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field 'ref' must be a string of at most "
                    + Identifiers.MAX_REF_LENGTH + " chars");
        }
        return ref;
    }

    /**
     * A required field holding any JSON value ({@code null} included), serialized: storable text
     * (no unpaired surrogates) of at most {@code maxBytes} UTF-8 bytes, else the matching error.
     */
    static String requiredJsonValue(JsonNode request, String field, int maxBytes) {
        JsonNode value = request.get(field);
        if (value == null) {
            throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field '" + field + "'");
        }
        String json;
        try {
            json = OutboundMessages.JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field '" + field + "' cannot be serialized");
        }
        int bytes = Identifiers.utf8LengthIfPaired(json);
        if (bytes < 0) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field '" + field + "' contains an unpaired surrogate");
        }
        if (bytes > maxBytes) {
            throw new RequestRejectedException(ErrorCode.PAYLOAD_TOO_LARGE,
                    field + " is " + bytes + " bytes, the limit is " + maxBytes);
        }
        return json;
    }
}
