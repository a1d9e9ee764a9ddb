package dev.switchboard.bench.peer;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The peers' protocol on one connection, after Netty's handshake: {@code send} to a user,
 * {@code subscribe} and {@code publish} on a topic, {@code ping}. Like the Bun peer, it ignores
 * what it cannot parse and sends to nobody when nobody is there. One instance serves every
 * connection.
 */
@Sharable
final class PeerProtocolHandler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    /** Like {@code JSON.parse}: text after the value is an error, not ignored. */
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET);
    static final AttributeKey<String> USER = AttributeKey.valueOf("peer.user");
    private static final String PONG = "{\"type\":\"pong\"}";

    private final PeerDirectory directory;

    PeerProtocolHandler(PeerDirectory directory) {
        this.directory = directory;
    }

    /** The handshake is done ({@link UserParameter} already checked the user): register and welcome. */
    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) throws Exception {
        if (!(event instanceof HandshakeComplete)) {
            super.userEventTriggered(context, event);
            return;
        }
        String user = context.channel().attr(USER).get();
        directory.connect(user, context.channel());
        ObjectNode welcome = JSON.createObjectNode().put("type", "welcome").put("user", user);
        context.writeAndFlush(new TextWebSocketFrame(JSON.writeValueAsString(welcome)));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, TextWebSocketFrame frame) throws IOException {
        JsonNode message;
        try {
            message = JSON.readTree((InputStream) new ByteBufInputStream(frame.content()));
        } catch (IOException notJson) {
            return;
        }
        if (message == null) {
            return;
        }
        switch (message.path("type").asText()) {
            case "send" -> send(context, message);
            case "subscribe" -> {
                String topic = topic(message);
                directory.subscribe(topic, context.channel());
                ObjectNode subscribed = JSON.createObjectNode().put("type", "subscribed").put("topic", topic);
                context.writeAndFlush(new TextWebSocketFrame(JSON.writeValueAsString(subscribed)));
            }
            case "publish" -> publish(context, message);
            case "ping" -> context.writeAndFlush(new TextWebSocketFrame(PONG));
            default -> {
                // unknown types are ignored, as by the other peers
            }
        }
    }

    /**
     * A reset by the client (the handshake scenario ends every connection so) or any other failure
     * closes the connection quietly: left to the pipeline's end, Netty would log a warning for each
     * one, on the event loop.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
        context.close();
    }

    private void send(ChannelHandlerContext context, JsonNode message) throws IOException {
        ChannelGroup targets = directory.user(message.path("to").asText());
        if (targets == null || targets.isEmpty()) {
            return;
        }
        ObjectNode out = JSON.createObjectNode()
                .put("type", "message")
                .put("from", context.channel().attr(USER).get());
        copyIfPresent(message, out, "body");
        broadcast(context, targets, out);
    }

    private void publish(ChannelHandlerContext context, JsonNode message) throws IOException {
        String topic = topic(message);
        ChannelGroup subscribers = directory.topic(topic);
        if (subscribers == null || subscribers.isEmpty()) {
            return;
        }
        ObjectNode out = JSON.createObjectNode()
                .put("type", "publication")
                .put("topic", topic);
        copyIfPresent(message, out, "data");
        broadcast(context, subscribers, out);
    }

    /** The topic as the Bun peer reads it ({@code String(m.topic)}: a missing one is "undefined"). */
    private static String topic(JsonNode message) {
        JsonNode topic = message.get("topic");
        return topic == null ? "undefined" : topic.asText();
    }

    /** A field absent from the request stays absent from the event, as {@code JSON.stringify} leaves it out. */
    private static void copyIfPresent(JsonNode from, ObjectNode to, String field) {
        JsonNode value = from.get(field);
        if (value != null) {
            to.set(field, value);
        }
    }

    /** Serializes once and hands every channel of the group its own duplicate of the bytes. */
    private static void broadcast(ChannelHandlerContext context, ChannelGroup group, ObjectNode event) throws IOException {
        ByteBuf bytes = context.alloc().buffer();
        try {
            JSON.writeValue((OutputStream) new ByteBufOutputStream(bytes), event);
        } catch (IOException | RuntimeException e) {
            bytes.release();
            throw e;
        }
        group.writeAndFlush(new TextWebSocketFrame(bytes)); // the group retains a duplicate per channel, then releases ours
    }
}
