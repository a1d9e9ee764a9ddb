package dev.switchboard.server.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.store.AppendResult;
import dev.switchboard.server.store.StoredMessage;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The hand-written encoders (docs/PROTOCOL.md section 3): valid JSON with every field, text escaped. */
class OutboundMessagesTest {
    private static final String AWKWARD = "q\"uote \\ back\u0001 h\u00e9 \uD83D\uDE00";
    private static final StoredMessage STORED = new StoredMessage(17, "alice", "phone", TargetKind.USER, "bob",
            AWKWARD, "\"hi\"", 1_764_000_000_000L);

    private static JsonNode parse(ByteBuf json) throws Exception {
        try {
            return OutboundMessages.JSON.readTree(json.toString(StandardCharsets.UTF_8));
        } finally {
            json.release();
        }
    }

    @Test
    void sent_carriesEveryField_withTheRefAndClientIdEscaped() throws Exception {
        JsonNode sent = parse(OutboundMessages.sent(AWKWARD, new AppendResult(STORED, 7, List.of(), true)));

        assertThat(sent.get("type").asText()).isEqualTo("sent");
        assertThat(sent.get("ref").asText()).isEqualTo(AWKWARD);
        assertThat(sent.get("clientId").asText()).isEqualTo(AWKWARD);
        assertThat(sent.get("id").asLong()).isEqualTo(17);
        assertThat(sent.get("ts").asLong()).isEqualTo(1_764_000_000_000L);
        assertThat(sent.get("seq").asLong()).isEqualTo(7);
        assertThat(sent.get("duplicate").asBoolean()).isTrue();
        assertThat(sent.size()).isEqualTo(7);
    }

    @Test
    void welcome_carriesEveryField_withTheIdsEscaped() throws Exception {
        JsonNode welcome = parse(OutboundMessages.welcome("c-1", AWKWARD, "d" + AWKWARD, 5, 9, 25_000, 60_000,
                65_536, 16_384, 20, 40, new ServerConfig.Reconnect(0, 0)));

        assertThat(welcome.get("type").asText()).isEqualTo("welcome");
        assertThat(welcome.get("connectionId").asText()).isEqualTo("c-1");
        assertThat(welcome.get("userId").asText()).isEqualTo(AWKWARD);
        assertThat(welcome.get("deviceId").asText()).isEqualTo("d" + AWKWARD);
        assertThat(welcome.get("cursor").asLong()).isEqualTo(5);
        assertThat(welcome.get("lastSeq").asLong()).isEqualTo(9);
        assertThat(welcome.get("pingIntervalMs").asLong()).isEqualTo(25_000);
        assertThat(welcome.get("pingTimeoutMs").asLong()).isEqualTo(60_000);
        assertThat(welcome.get("maxMessageBytes").asInt()).isEqualTo(65_536);
        assertThat(welcome.get("maxBodyBytes").asInt()).isEqualTo(16_384);
        assertThat(welcome.get("sendsPerSecond").asInt()).isEqualTo(20);
        assertThat(welcome.get("sendBurst").asInt()).isEqualTo(40);
        assertThat(welcome.size()).as("no reconnect backoff when none is advertised").isEqualTo(12);
    }

    @Test
    void welcome_carriesTheAdvertisedReconnectBackoff() throws Exception {
        JsonNode welcome = parse(OutboundMessages.welcome("c-1", "alice", "phone", 0, 0, 25_000, 60_000,
                65_536, 16_384, 20, 40, new ServerConfig.Reconnect(5_000, 120_000)));

        assertThat(welcome.get("reconnectBaseMs").asLong()).isEqualTo(5_000);
        assertThat(welcome.get("reconnectMaxMs").asLong()).isEqualTo(120_000);
        assertThat(welcome.size()).isEqualTo(14);
    }

    @Test
    void sent_withoutARef_hasNoRefField() throws Exception {
        JsonNode sent = parse(OutboundMessages.sent(null, new AppendResult(STORED, 7, List.of(), false)));

        assertThat(sent.has("ref")).isFalse();
        assertThat(sent.get("duplicate").asBoolean()).isFalse();
    }

    @Test
    void message_partsMakeOneEntry_aroundTheSharedPayload() throws Exception {
        byte[] payload = OutboundMessages.messagePayload(STORED);
        ByteArrayOutputStream joined = new ByteArrayOutputStream();
        for (byte[] part : OutboundMessages.message(42, payload)) {
            joined.writeBytes(part);
        }

        JsonNode entry = OutboundMessages.JSON.readTree(joined.toByteArray());

        assertThat(entry.get("type").asText()).isEqualTo("message");
        assertThat(entry.get("seq").asLong()).isEqualTo(42);
        assertThat(entry.get("message").get("clientId").asText()).isEqualTo(AWKWARD);
        assertThat(entry.get("message").get("body").asText()).isEqualTo("hi");
        assertThat(OutboundMessages.message(43, payload)[3]).isSameAs(payload); // shared, not copied
    }
}
