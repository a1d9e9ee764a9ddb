package dev.switchboard.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;

/**
 * A blocking client for the server API ({@code docs/API.md}) over {@link HttpClient}, HTTP/1.1. Every
 * call returns the answer whatever its status, so tests assert on refusals as easily as on successes.
 */
public final class ApiClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One answer: status, content type, raw text and (when the text is JSON) the parsed body. */
    public record Answer(int status, String contentType, String text, JsonNode json) {
        /** The {@code error} code of an error answer, or null. */
        public String error() {
            return json == null || !json.has("error") ? null : json.get("error").asText();
        }

        /** The {@code field} of an error answer, or null when absent. */
        public String field() {
            return json == null || !json.hasNonNull("field") ? null : json.get("field").asText();
        }

        /**
         * In a {@code /metrics} answer, the value of the Prometheus sample {@code name} (with its exact
         * label set, e.g. {@code switchboard_kicks_total} or {@code x_total{source="memory"}}), or NaN
         * when absent.
         */
        public double sample(String name) {
            for (String line : text.split("\n")) {
                if (line.startsWith(name + " ")) {
                    return Double.parseDouble(line.substring(name.length() + 1).trim());
                }
            }
            return Double.NaN;
        }

        @Override
        public String toString() {
            return status + " " + text;
        }
    }

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final int port;
    private final Map<String, String> authHeaders;

    private ApiClient(int port, Map<String, String> authHeaders) {
        this.port = port;
        this.authHeaders = authHeaders;
    }

    /** Sends {@link TestServer#API_KEY} as {@code Authorization: Bearer}. */
    public static ApiClient of(TestServer server) {
        return withHeaders(server.apiPort(), Map.of("Authorization", "Bearer " + TestServer.API_KEY));
    }

    /** Sends exactly {@code authHeaders} with every request (none: an anonymous client). */
    public static ApiClient withHeaders(int port, Map<String, String> authHeaders) {
        return new ApiClient(port, authHeaders);
    }

    public Answer get(String path) {
        return send("GET", path, null);
    }

    public Answer delete(String path) {
        return send("DELETE", path, null);
    }

    public Answer post(String path, String json) {
        return send("POST", path, json);
    }

    public Answer put(String path, String json) {
        return send("PUT", path, json);
    }

    /** Any method; {@code body} null = no body. */
    public Answer send(String method, String path, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        authHeaders.forEach(request::header);
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            JsonNode json = null;
            if (contentType.startsWith("application/json") && !response.body().isEmpty()) {
                json = JSON.readTree(response.body());
            }
            return new Answer(response.statusCode(), contentType, response.body(), json);
        } catch (IOException e) {
            throw new UncheckedIOException(method + " " + path + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
