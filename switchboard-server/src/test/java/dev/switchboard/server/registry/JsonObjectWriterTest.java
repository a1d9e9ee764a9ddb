package dev.switchboard.server.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The writer's bytes are Jackson's generator's bytes for the same fields, for every kind of string. */
class JsonObjectWriterTest {
    private static final JsonFactory JACKSON = new JsonFactory();

    @ParameterizedTest
    @ValueSource(strings = {"", "plain ascii", "quote \" backslash \\ slash /", "tab\tnewline\nreturn\rback\bfeed\f",
            "nul \u0000 unit \u001f delete \u007f", "latin é ß ÿ", "two bytes \u0080 \u07ff", "three bytes \u0800 € ✓ 中 \uffff",
            "line separator \u2028", "emoji \ud83d\ude00 pair", "lone high \ud83d then", "lone low \ude00 first", "ends high \ud83d"})
    void strings_areEscapedAsJacksonEscapesThem(String value) throws IOException {
        byte[] ours = new JsonObjectWriter(4).string("type", "x").string("value", value).toBytes();

        assertThat(new String(ours, StandardCharsets.UTF_8)).isEqualTo(jackson(json -> {
            json.writeStringField("type", "x");
            json.writeStringField("value", value);
        }));
        assertThat(new ObjectMapper().readTree(ours).get("value").asText()).isEqualTo(value);
    }

    @Test
    void rawBytes_areCopiedUnchanged_asTheFieldsValue() throws IOException {
        byte[] inner = new JsonObjectWriter(0).string("text", "é \ud83d\ude00 \"q\"").number("n", 3).toBytes();

        byte[] outer = new JsonObjectWriter(0).string("type", "message").rawValue("message", inner).number("after", 1).toBytes();

        assertThat(new String(outer, StandardCharsets.UTF_8))
                .isEqualTo("{\"type\":\"message\",\"message\":" + new String(inner, StandardCharsets.UTF_8) + ",\"after\":1}");
        assertThat(new ObjectMapper().readTree(outer).get("message").get("text").asText()).isEqualTo("é \ud83d\ude00 \"q\"");
    }

    @Test
    void numbersBooleansNestedObjectsAndRawValues_matchJackson() throws IOException {
        String raw = "{\"t\":[1,2.5,\"é\\u00e9 \ud83d\ude00\"],\"n\":null}";
        byte[] ours = new JsonObjectWriter(0)
                .number("min", Long.MIN_VALUE).number("zero", 0).number("max", Long.MAX_VALUE)
                .bool("yes", true).bool("no", false)
                .startObject("to").string("kind", "user").startObject("inner").endObject().number("id", 7).endObject()
                .rawValue("body", raw)
                .rawValue("nothing", "null")
                .toBytes();

        assertThat(new String(ours, StandardCharsets.UTF_8)).isEqualTo(jackson(json -> {
            json.writeNumberField("min", Long.MIN_VALUE);
            json.writeNumberField("zero", 0);
            json.writeNumberField("max", Long.MAX_VALUE);
            json.writeBooleanField("yes", true);
            json.writeBooleanField("no", false);
            json.writeObjectFieldStart("to");
            json.writeStringField("kind", "user");
            json.writeObjectFieldStart("inner");
            json.writeEndObject();
            json.writeNumberField("id", 7);
            json.writeEndObject();
            json.writeFieldName("body");
            json.writeRawValue(raw);
            json.writeFieldName("nothing");
            json.writeRawValue("null");
        }));
    }

    @Test
    void anEmptyObject_andAByteBufOfTheSameBytes() {
        assertThat(new JsonObjectWriter(0).toBytes()).isEqualTo("{}".getBytes(StandardCharsets.US_ASCII));
        ByteBuf buffer = new JsonObjectWriter(1).string("a", "b".repeat(100)).toByteBuf();
        try {
            assertThat(buffer.toString(StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"" + "b".repeat(100) + "\"}");
            assertThat(ByteBufUtil.getBytes(buffer)).isEqualTo(new JsonObjectWriter(64).string("a", "b".repeat(100)).toBytes());
        } finally {
            buffer.release();
        }
    }

    @Test
    void aRawValueWithAnUnpairedSurrogate_isRefused() {
        assertThatThrownBy(() -> new JsonObjectWriter(8).rawValue("data", "\"\ud83d\""))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @FunctionalInterface
    private interface Fields {
        void write(JsonGenerator json) throws IOException;
    }

    private static String jackson(Fields fields) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = JACKSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            fields.write(json);
            json.writeEndObject();
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
