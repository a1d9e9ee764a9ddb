package dev.switchboard.server.topic;

import dev.switchboard.server.registry.JsonObjectWriter;

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
    public static Publication of(String topic, String epoch, long offset, String from, String dataJson) {
        return new Publication(topic, epoch, offset, from, dataJson, encode(topic, epoch, offset, from, dataJson));
    }

    public StreamPosition position() {
        return new StreamPosition(epoch, offset);
    }

    private static byte[] encode(String topic, String epoch, long offset, String from, String dataJson) {
        JsonObjectWriter json = new JsonObjectWriter(96 + topic.length() + dataJson.length())
                .string("type", "publication")
                .string("topic", topic)
                .string("epoch", epoch)
                .number("offset", offset);
        if (from != null) {
            json.string("from", from);
        }
        return json.rawValue("data", dataJson).toBytes();
    }
}
