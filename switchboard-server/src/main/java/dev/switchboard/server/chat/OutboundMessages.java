package dev.switchboard.server.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.MessageType;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.registry.JsonObjectWriter;
import dev.switchboard.server.store.AppendResult;
import dev.switchboard.server.store.StoredMessage;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * Encoders for every server → client message (docs/PROTOCOL.md section 3). Returned buffers are
 * unpooled and owned by the caller, who passes them to {@code Connection.write}.
 *
 * @implNote A chat message is encoded once, by {@link #messagePayload}, into an immutable byte
 * array shared by every recipient; each recipient's frame is a tiny per-recipient prefix (type and
 * seq) and that same array, copied side by side into the frame's buffer ({@link #message}), so a
 * group message to a thousand members is serialized once, not a thousand times.
 */
public final class OutboundMessages {
    public static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final byte[] MESSAGE_PREFIX = "{\"type\":\"message\",\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_INFIX = ",\"message\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] MESSAGE_SUFFIX = "}".getBytes(StandardCharsets.US_ASCII);

    private OutboundMessages() {
    }

    /** The {@code message.message} object, encoded once per stored message. */
    public static byte[] messagePayload(StoredMessage message) {
        String fileJson = message.fileJson();
        JsonObjectWriter writer = new JsonObjectWriter(160 + message.bodyJson().length()
                + (fileJson == null ? 0 : fileJson.length() + 8))
                .number("id", message.id())
                .string("from", message.senderId())
                .string("fromDevice", message.senderDevice())
                .startObject("to")
                .string("kind", message.targetKind().wireName())
                .string("id", message.targetId())
                .endObject()
                .string("clientId", message.clientId())
                .number("ts", message.createdAt());
        if (fileJson != null) {
            writer.rawValue("file", fileJson); // written by the server (FileDescription), so valid JSON
        }
        return writer.rawValue("body", message.bodyJson()).toBytes();
    }

    /**
     * One inbox entry for one recipient, as the parts of its JSON in order ({@link dev.switchboard.server.registry.Connection#write(byte[]...)}):
     * shares {@code payload}, which every recipient's entry carries, without copying it.
     */
    public static byte[][] message(long seq, byte[] payload) {
        byte[] seqDigits = Long.toString(seq).getBytes(StandardCharsets.US_ASCII);
        return new byte[][] {MESSAGE_PREFIX, seqDigits, MESSAGE_INFIX, payload, MESSAGE_SUFFIX};
    }

    public static ByteBuf welcome(String connectionId, String userId, String deviceId, long cursor, long lastSeq,
                                  long pingIntervalMillis, long pingTimeoutMillis, int maxMessageBytes, int maxBodyBytes,
                                  int sendsPerSecond, int sendBurst, ServerConfig.Reconnect reconnect) {
        // Field by field, like sent: one goes out for every handshake, in the event loop's time for it.
        JsonObjectWriter welcome = new JsonObjectWriter(256 + connectionId.length() + userId.length() + deviceId.length())
                .string("type", MessageType.WELCOME.wireName())
                .string("connectionId", connectionId)
                .string("userId", userId)
                .string("deviceId", deviceId)
                .number("cursor", cursor)
                .number("lastSeq", lastSeq)
                .number("pingIntervalMs", pingIntervalMillis)
                .number("pingTimeoutMs", pingTimeoutMillis)
                .number("maxMessageBytes", maxMessageBytes)
                .number("maxBodyBytes", maxBodyBytes)
                .number("sendsPerSecond", sendsPerSecond)
                .number("sendBurst", sendBurst);
        if (reconnect.isAdvertised()) {
            welcome.number("reconnectBaseMs", reconnect.baseMillis()).number("reconnectMaxMs", reconnect.maxMillis());
        }
        return welcome.toByteBuf();
    }

    public static ByteBuf truncated(long afterSeq, long nextSeq) {
        ObjectNode node = typed(MessageType.TRUNCATED);
        node.put("afterSeq", afterSeq);
        node.put("nextSeq", nextSeq);
        return encode(node);
    }

    public static ByteBuf synced(long seq) {
        ObjectNode node = typed(MessageType.SYNCED);
        node.put("seq", seq);
        return encode(node);
    }

    /**
     * The acknowledgement of a stored send.
     *
     * @implNote Written field by field ({@link JsonObjectWriter}), like {@link #messagePayload}, not
     * built as a tree first: one goes out for every message sent, and the tree (a node per field,
     * and a map) and its serialization were most of this encoder's time in a profile under durable load.
     */
    public static ByteBuf sent(String ref, AppendResult result) {
        StoredMessage message = result.message();
        JsonObjectWriter json = new JsonObjectWriter(96 + message.clientId().length() + (ref == null ? 0 : ref.length()))
                .string("type", MessageType.SENT.wireName());
        if (ref != null) {
            json.string("ref", ref);
        }
        return json.string("clientId", message.clientId())
                .number("id", message.id())
                .number("ts", message.createdAt())
                .number("seq", result.senderSeq())
                .bool("duplicate", result.duplicate())
                .toByteBuf();
    }

    /**
     * The {@code result} of a publish: its position in the topic's stream. Written field by field,
     * like {@link #sent}: one goes out for every publication.
     */
    public static ByteBuf publishResult(String ref, String topic, String epoch, long offset) {
        JsonObjectWriter json = new JsonObjectWriter(80 + topic.length() + epoch.length() + (ref == null ? 0 : ref.length()))
                .string("type", MessageType.RESULT.wireName());
        if (ref != null) {
            json.string("ref", ref);
        }
        return json.startObject("data")
                .string("topic", topic)
                .string("epoch", epoch)
                .number("offset", offset)
                .endObject()
                .toByteBuf();
    }

    public static ByteBuf result(String ref, JsonNode data) {
        ObjectNode node = typed(MessageType.RESULT);
        putRef(node, ref);
        node.set("data", data);
        return encode(node);
    }

    public static ByteBuf pong(String ref) {
        ObjectNode node = typed(MessageType.PONG);
        putRef(node, ref);
        return encode(node);
    }

    public static ByteBuf error(String ref, ErrorCode code, String message) {
        ObjectNode node = typed(MessageType.ERROR);
        putRef(node, ref);
        node.put("code", code.wireName());
        node.put("message", message);
        return encode(node);
    }

    public static ByteBuf kicked(String reason) {
        ObjectNode node = typed(MessageType.KICKED);
        node.put("reason", reason);
        return encode(node);
    }

    /** " at line L, column C" for a parse error, without echoing the input back; empty when unknown. */
    public static String where(JsonProcessingException error) {
        var location = error.getLocation();
        return location == null ? "" : " at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static ObjectNode typed(MessageType type) {
        ObjectNode node = JSON.createObjectNode();
        node.put("type", type.wireName());
        return node;
    }

    private static void putRef(ObjectNode node, String ref) {
        if (ref != null) {
            node.put("ref", ref);
        }
    }

    private static ByteBuf encode(ObjectNode node) {
        try {
            return Unpooled.wrappedBuffer(JSON.writeValueAsBytes(node));
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
