package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.testing.ChildServer;
import dev.switchboard.server.testing.RawWebSocket;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R15's structured logs: with {@code SWITCHBOARD_LOG_FORMAT=json} every line the server prints is one
 * JSON object, and a line about a connection carries its connection and user ids as fields, for a log
 * shipper to index.
 */
class JsonLogTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dataDirectory;

    @Test
    void everyLineIsAJsonObject_andAConnectionsLineCarriesItsIds() throws Exception {
        try (ChildServer server = ChildServer.start(dataDirectory, 0, Map.of("SWITCHBOARD_LOG_FORMAT", "json"));
             RawWebSocket abuser = RawWebSocket.connect(server.port(), "/ws?user=jason&device=d1")) {
            assertThat(abuser.handshake().status()).isEqualTo(101);
            for (int i = 0; i < 130; i++) { // past limits.maxInvalidRequests (120): a WARN line with the ids
                abuser.sendText("garbage " + i);
            }
            assertThat(abuser.awaitClose(Duration.ofSeconds(10))).isEqualTo(CloseCodes.PROTOCOL_ABUSE);

            JsonNode closing = await().atMost(Duration.ofSeconds(10)).until(
                    () -> line(server, "closing connection over invalid requests"), Optional::isPresent).orElseThrow();
            assertThat(closing.path("level").asText()).isEqualTo("WARN");
            Map<String, String> fields = fields(closing);
            assertThat(fields).containsEntry("userId", "jason").containsKey("connectionId")
                    .containsEntry("lastError", "bad_json");
            for (String line : server.output()) {
                assertThat(JSON.readTree(line).isObject()).as("a JSON object per line: %s", line).isTrue();
            }
        }
    }

    /** The first output line whose message is {@code message}, parsed. */
    private static Optional<JsonNode> line(ChildServer server, String message) throws IOException {
        for (String line : server.output()) {
            JsonNode node = JSON.readTree(line);
            if (message.equals(node.path("message").asText())) {
                return Optional.of(node);
            }
        }
        return Optional.empty();
    }

    /** Logback's key/value pairs: {@code kvpList}, a list of one-field objects. */
    private static Map<String, String> fields(JsonNode line) {
        Map<String, String> fields = new HashMap<>();
        for (JsonNode pair : line.path("kvpList")) {
            pair.fields().forEachRemaining(field -> fields.put(field.getKey(), field.getValue().asText()));
        }
        return fields;
    }
}
