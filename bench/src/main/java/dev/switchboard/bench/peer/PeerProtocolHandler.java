package dev.switchboard.bench.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler.HandshakeComplete;
import io.netty.util.AttributeKey;
import java.io.IOException;
import java.util.List;

/**
 * The peers' protocol on one connection, after Netty's handshake: {@code send} to a user,
 * {@code subscribe} and {@code publish} on a topic, {@code ping}. Like the Bun peer, it ignores
 * what it cannot parse and sends to nobody when nobody is there. Shared by all connections.
 */
@io.netty.channel.ChannelHandler.Sharable
final class PeerProtocolHandler extends SimpleChannelInboundHandler<TextWebSocketFrame> {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final AttributeKey<String> USER = AttributeKey.valueOf("peer.user");
    private static final String PONG = "{\"type\":\"pong\"}";

    private final PeerDirectory directory;

    PeerProtocolHandler(PeerDirectory directory) {
        this.directory = directory;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext context, Object event) throws Exception {
        if (!(event instanceof HandshakeComplete handshake)) {
            super.userEventTriggered(context, event);
            return;
        }
        List<String> users = new QueryStringDecoder(handshake.requestUri()).parameters().get("user");
        if (users == null || users.isEmpty() || users.get(0).isEmpty()) {
            context.close(); // the Bun peer answers 400 before the upgrade; here the upgrade is Netty's
            return;
        }
        String user = users.get(0);
        context.channel().attr(USER).set(user);
        directory.connect(user, context.channel());
        ObjectNode welcome = JSON.createObjectNode().put("type", "welcome").put("user", user);
        context.writeAndFlush(new TextWebSocketFrame(JSON.writeValueAsString(welcome)));
    }

    @Override
    protected void channelRead0(ChannelHandlerContext context, TextWebSocketFrame frame) throws IOException {
        JsonNode message;
        try {
            message = JSON.readTree((java.io.InputStream) new ByteBufInputStream(frame.content()));
        } catch (IOException notJson) {
            return;
        }
        if (message == null) {
            return;
        }
        switch (message.path("type").asText()) {
            case "send" -> send(context, message);
            case "subscribe" -> {
                String topic = message.path("topic").asText();
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

    private void send(ChannelHandlerContext context, JsonNode message) throws IOException {
        ChannelGroup targets = directory.user(message.path("to").asText());
        if (targets == null || targets.isEmpty()) {
            return;
        }
        ObjectNode out = JSON.createObjectNode()
                .put("type", "message")
                .put("from", context.channel().attr(USER).get())
                .set("body", message.get("body"));
        broadcast(context, targets, out);
    }

    private void publish(ChannelHandlerContext context, JsonNode message) throws IOException {
        String topic = message.path("topic").asText();
        ChannelGroup subscribers = directory.topic(topic);
        if (subscribers == null || subscribers.isEmpty()) {
            return;
        }
        ObjectNode out = JSON.createObjectNode()
                .put("type", "publication")
                .put("topic", topic)
                .set("data", message.get("data"));
        broadcast(context, subscribers, out);
    }

    /** Serializes once and hands every channel of the group its own duplicate of the bytes. */
    private static void broadcast(ChannelHandlerContext context, ChannelGroup group, ObjectNode event) throws IOException {
        ByteBuf bytes = context.alloc().buffer();
        try (ByteBufOutputStream out = new ByteBufOutputStream(bytes)) {
            JSON.writeValue((java.io.OutputStream) out, event);
        }
        group.writeAndFlush(new TextWebSocketFrame(bytes)); // the group retains a duplicate per channel, then releases ours
    }
}
