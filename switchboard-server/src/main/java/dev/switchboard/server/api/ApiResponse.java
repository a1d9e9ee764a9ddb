package dev.switchboard.server.api;

import com.fasterxml.jackson.databind.JsonNode;

/** A successful API answer: status and JSON body. */
public record ApiResponse(int status, JsonNode body) {

    public static ApiResponse ok(JsonNode body) {
        return new ApiResponse(200, body);
    }
}
