package dev.switchboard.server.topic;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonFactory;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * One message published on a topic, at its position in the topic's stream, with the complete
 * {@code publication} frame every subscriber is sent.
 *
 * @param from     the publishing user, or null for the server API
 * @param dataJson the serialized {@code data} value
 * @param frame    the UTF-8 JSON text of the {@code publication} message, encoded once and written
 *                 unchanged to every local subscriber
 */
public record Publication(String topic, String epoch, long offset, String from, String dataJson, byte[] frame) {
    private static final JsonFactory JSON = new JsonFactory();

    public static Publication of(String topic, String epoch, long offset, String from, String dataJson) {
        return new Publication(topic, epoch, offset, from, dataJson, encode(topic, epoch, offset, from, dataJson));
    }

    public StreamPosition position() {
        return new StreamPosition(epoch, offset);
    }

    private static byte[] encode(String topic, String epoch, long offset, String from, String dataJson) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(96 + topic.length() + dataJson.length());
        try (JsonGenerator json = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            json.writeStartObject();
            json.writeStringField("type", "publication");
            json.writeStringField("topic", topic);
            json.writeStringField("epoch", epoch);
            json.writeNumberField("offset", offset);
            if (from != null) {
                json.writeStringField("from", from);
            }
            json.writeFieldName("data");
            json.writeRawValue(dataJson);
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }
}
