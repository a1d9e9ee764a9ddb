package dev.switchboard.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.MessageType;
import dev.switchboard.protocol.TargetKind;
import java.io.UncheckedIOException;

/**
 * JSON encoding of the client's outbound messages and decoding of the server's, per docs/PROTOCOL.md
 * section 3. Decoding is lenient: a missing field becomes null or 0 (the protocol says unknown fields are
 * ignored, and a client must not crash on a server it does not fully understand).
 *
 * <p>Thread-safe: the shared {@link ObjectMapper} is only used for reading and writing trees.
 */
final class Wire {
    static final ObjectMapper MAPPER = new ObjectMapper();

    private Wire() {
    }

    /**
     * Converts an application body (String, Number, Boolean, Map, List, JsonNode, or a Jackson-serializable
     * object) into a JSON tree; null becomes JSON null.
     *
     * @throws IllegalArgumentException when Jackson cannot serialize it
     */
    static JsonNode body(Object body) {
        if (body == null) {
            return NullNode.getInstance();
        }
        if (body instanceof JsonNode node) {
            return node;
        }
        return MAPPER.valueToTree(body);
    }

    /** {@code {"type":"send","ref":…,"clientId":…,"to":{"kind":…,"id":…},"body":…}}. */
    static String send(String ref, String clientId, Target to, JsonNode body) {
        return send(ref, clientId, to, body, null);
    }

    /** {@code send}, with {@code fileId} when it is not null. */
    static String send(String ref, String clientId, Target to, JsonNode body, String fileId) {
        ObjectNode node = typed(MessageType.SEND);
        node.put("ref", ref);
        node.put("clientId", clientId);
        ObjectNode target = node.putObject("to");
        target.put("kind", to.kind().wireName());
        target.put("id", to.id());
        node.set("body", body);
        if (fileId != null) {
            node.put("fileId", fileId);
        }
        return write(node);
    }

    /** {@code {"type":"resume"}} with {@code afterSeq} when it is not null. */
    static String resume(Long afterSeq) {
        ObjectNode node = typed(MessageType.RESUME);
        if (afterSeq != null) {
            node.put("afterSeq", afterSeq.longValue());
        }
        return write(node);
    }

    /** {@code {"type":"ack","seq":…}}. */
    static String ack(long seq) {
        return write(typed(MessageType.ACK).put("seq", seq));
    }

    /** A request: a copy of {@code fields} (may be null) with {@code type} and {@code ref} set. */
    static String request(String type, String ref, ObjectNode fields) {
        ObjectNode node = MAPPER.createObjectNode();
        node.put("type", type);
        node.put("ref", ref);
        if (fields != null) {
            for (var field : fields.properties()) {
                if (!"type".equals(field.getKey()) && !"ref".equals(field.getKey())) {
                    node.set(field.getKey(), field.getValue());
                }
            }
        }
        return write(node);
    }

    /** {@code {"type":"subscribe","ref":…,"topic":…}}, with {@code recover: {epoch, offset}} when given. */
    static String subscribe(String ref, String topic, TopicPosition recover) {
        ObjectNode node = typed(MessageType.SUBSCRIBE).put("ref", ref).put("topic", topic);
        if (recover != null) {
            node.putObject("recover").put("epoch", recover.epoch()).put("offset", recover.offset());
        }
        return write(node);
    }

    /** {@code {"type":"unsubscribe","ref":…,"topic":…}}. */
    static String unsubscribe(String ref, String topic) {
        return write(typed(MessageType.UNSUBSCRIBE).put("ref", ref).put("topic", topic));
    }

    /** {@code {"type":"publish","ref":…,"topic":…,"data":…}}. */
    static String publish(String ref, String topic, JsonNode data) {
        ObjectNode node = typed(MessageType.PUBLISH).put("ref", ref).put("topic", topic);
        node.set("data", data);
        return write(node);
    }

    /** Decodes a {@code publication} message, or returns null when its topic, epoch or offset is missing. */
    static Publication publication(JsonNode node) {
        String topic = text(node, "topic");
        String epoch = text(node, "epoch");
        JsonNode offset = node.get("offset");
        if (topic == null || epoch == null || offset == null || !offset.canConvertToLong() || offset.asLong() < 1) {
            return null;
        }
        JsonNode data = node.hasNonNull("data") ? node.get("data") : NullNode.getInstance();
        return new Publication(topic, epoch, offset.asLong(), data, text(node, "from"));
    }

    /** Decodes {@code message.message} of an inbox entry. */
    static InboxMessage inboxMessage(long seq, JsonNode message) {
        return new InboxMessage(seq, message.path("id").asLong(), text(message, "from"),
                text(message, "fromDevice"), target(message.path("to")), text(message, "clientId"),
                message.path("ts").asLong(), message.path("body"), FileInfo.from(message.get("file")));
    }

    /** Decodes a {@code sent} reply. */
    static SendReceipt receipt(JsonNode sent) {
        return new SendReceipt(text(sent, "clientId"), sent.path("id").asLong(), sent.path("ts").asLong(),
                sent.path("seq").asLong(), sent.path("duplicate").asBoolean(false));
    }

    /** Decodes a {@code to} object, or returns null when it is not a valid one. */
    static Target target(JsonNode to) {
        TargetKind kind = TargetKind.fromWireName(text(to, "kind"));
        String id = text(to, "id");
        return kind == null || id == null ? null : new Target(kind, id);
    }

    /** The text of {@code node.field}, or null when absent or not a string. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || !value.isTextual() ? null : value.asText();
    }

    /**
     * The whole number {@code node.field}, or 0 when absent or anything else (a string, a fraction, a
     * boolean, a number beyond a {@code long}): as strict as the JavaScript client's
     * {@code Number.isSafeInteger}, for fields both clients must read alike.
     */
    static long wholeNumber(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value != null && value.isIntegralNumber() && value.canConvertToLong() ? value.asLong() : 0;
    }

    /**
     * Parses one inbound text frame.
     *
     * @throws JsonProcessingException when it is not JSON
     */
    static JsonNode parse(String text) throws JsonProcessingException {
        return MAPPER.readTree(text);
    }

    private static ObjectNode typed(MessageType type) {
        return MAPPER.createObjectNode().put("type", type.wireName());
    }

    private static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
