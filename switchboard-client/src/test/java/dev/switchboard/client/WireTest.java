package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.TargetKind;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WireTest {

    @Test
    void send_writesEveryProtocolField() throws Exception {
        String text = Wire.send("s1", "c-1", Target.group("team"), Wire.body(Map.of("text", "hi")));

        JsonNode node = Wire.parse(text);
        assertThat(node.path("type").asText()).isEqualTo("send");
        assertThat(node.path("ref").asText()).isEqualTo("s1");
        assertThat(node.path("clientId").asText()).isEqualTo("c-1");
        assertThat(node.path("to").path("kind").asText()).isEqualTo("group");
        assertThat(node.path("to").path("id").asText()).isEqualTo("team");
        assertThat(node.path("body").path("text").asText()).isEqualTo("hi");
    }

    @Test
    void resume_omitsAfterSeq_whenNull() throws Exception {
        assertThat(Wire.parse(Wire.resume(null)).has("afterSeq")).isFalse();
        assertThat(Wire.parse(Wire.resume(0L)).path("afterSeq").asLong(-1)).isZero();
    }

    @Test
    void request_overridesTypeAndRef_whenFieldsCarryThem() throws Exception {
        var fields = Wire.MAPPER.createObjectNode().put("type", "evil").put("ref", "x").put("groupId", "g");

        JsonNode node = Wire.parse(Wire.request("group.join", "r7", fields));

        assertThat(node.path("type").asText()).isEqualTo("group.join");
        assertThat(node.path("ref").asText()).isEqualTo("r7");
        assertThat(node.path("groupId").asText()).isEqualTo("g");
    }

    @Test
    void inboxMessage_readsAllFields_fromProtocolExample() throws Exception {
        JsonNode message = Wire.parse("{\"id\":17,\"from\":\"bob\",\"fromDevice\":\"web\",\"to\":{\"kind\":\"user\","
                + "\"id\":\"alice\"},\"clientId\":\"b-9\",\"ts\":1764000000000,\"body\":\"hi\"}");

        InboxMessage inbox = Wire.inboxMessage(5, message);

        assertThat(inbox).isEqualTo(new InboxMessage(5, 17, "bob", "web", new Target(TargetKind.USER, "alice"),
                "b-9", 1_764_000_000_000L, Wire.body("hi")));
    }

    @Test
    void inboxMessage_hasNullTarget_whenToIsMalformed() throws Exception {
        InboxMessage inbox = Wire.inboxMessage(1, Wire.parse("{\"id\":1,\"from\":\"bob\",\"to\":{\"kind\":\"room\"}}"));

        assertThat(inbox.to()).isNull();
        assertThat(inbox.conversationId("alice")).isEqualTo("bob");
    }

    @Test
    void receipt_readsSentReply() throws Exception {
        JsonNode sent = Wire.parse("{\"type\":\"sent\",\"ref\":\"1\",\"clientId\":\"a-1\",\"id\":18,"
                + "\"ts\":1764000000123,\"seq\":7,\"duplicate\":true}");

        assertThat(Wire.receipt(sent)).isEqualTo(new SendReceipt("a-1", 18, 1_764_000_000_123L, 7, true));
    }

    @Test
    void wholeNumber_readsOnlyWholeNumbers_asTheJavaScriptClientDoes() throws Exception {
        JsonNode node = Wire.parse("{\"whole\":5000,\"text\":\"5000\",\"fraction\":1.5,\"flag\":true,"
                + "\"huge\":1e400,\"beyondLong\":99999999999999999999,\"none\":null}");

        assertThat(Wire.wholeNumber(node, "whole")).isEqualTo(5000);
        for (String field : new String[] {"text", "fraction", "flag", "huge", "beyondLong", "none", "absent"}) {
            assertThat(Wire.wholeNumber(node, field)).as(field).isZero();
        }
    }
}
