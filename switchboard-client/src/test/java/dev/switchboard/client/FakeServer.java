package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Queue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A scripted stand-in for the Switchboard server, for testing the client's connection handling over a
 * real socket: it records handshakes and every text message the client sends, and the test writes the
 * server's side by hand. It implements none of the server's logic; the real end-to-end tests live in
 * the server module.
 *
 * <p>Close frames from the client are recorded as {@code {"type":"__close","code":…}}; a binary message (a file
 * chunk) as its JSON header with {@code "__data"}: the chunk's data in base64. Every recorded
 * message carries {@code "__receivedNanos"}: the {@link System#nanoTime()} at which it arrived.
 */
final class FakeServer implements AutoCloseable {
    private static final long WAIT_SECONDS = 5;

    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final BlockingQueue<String> refusedUris = new LinkedBlockingQueue<>();
    private final BlockingQueue<WebSocketServerProtocolHandler.HandshakeComplete> upgrades = new LinkedBlockingQueue<>();
    private final BlockingQueue<Channel> upgradedChannels = new LinkedBlockingQueue<>();
    private final BlockingQueue<JsonNode> received = new LinkedBlockingQueue<>();
    private final Queue<Integer> refusals = new ConcurrentLinkedQueue<>();
    private final Channel serverChannel;
    private volatile Channel client;

    FakeServer() throws InterruptedException {
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec());
                        channel.pipeline().addLast(new HttpObjectAggregator(65536));
                        channel.pipeline().addLast(new HandshakeGate());
                        channel.pipeline().addLast(new WebSocketServerProtocolHandler(WebSocketServerProtocolConfig
                                .newBuilder().websocketPath("/ws").checkStartsWith(true).handleCloseFrames(false).build()));
                        channel.pipeline().addLast(new FrameRecorder());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
    }

    URI uri() {
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    /** The next {@code count} handshakes are answered with {@code status} instead of 101. */
    void refuseNextHandshakes(int status, int count) {
        for (int i = 0; i < count; i++) {
            refusals.add(status);
        }
    }

    /** Waits for the next refused handshake and returns its request URI (path and query). */
    String nextRefusedUri() throws InterruptedException {
        String uri = refusedUris.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(uri).as("a refused handshake within %d s", WAIT_SECONDS).isNotNull();
        return uri;
    }

    /**
     * Waits for the next upgraded connection, makes it the one {@link #send} and {@link #close} act on,
     * and returns its request URI (path and query).
     */
    String nextConnection() throws InterruptedException {
        WebSocketServerProtocolHandler.HandshakeComplete upgrade = upgrades.poll(WAIT_SECONDS, TimeUnit.SECONDS);
        assertThat(upgrade).as("a WebSocket connection within %d s", WAIT_SECONDS).isNotNull();
        client = upgradedChannels.poll();
        return upgrade.requestUri();
    }

    /** Waits for the next message from the client whose type is {@code type}, skipping others (acks, pings). */
    JsonNode nextReceived(String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT_SECONDS);
        while (true) {
            JsonNode node = received.poll(deadline - System.nanoTime(), TimeUnit.NANOSECONDS);
            assertThat(node).as("a %s message within %d s", type, WAIT_SECONDS).isNotNull();
            if (type.equals(node.path("type").asText())) {
                return node;
            }
        }
    }

    /** Accepts the latest connection as {@code userId} on {@code deviceId}; no send limit, as from an older server. */
    void welcome(String userId, String deviceId, long cursor, long lastSeq) {
        send(welcomeNode(userId, deviceId, cursor, lastSeq).toString());
    }

    /**
     * Accepts the latest connection, advertising the send limit {@code sendsPerSecond} / {@code sendBurst}.
     *
     * @return the {@link System#nanoTime()} just before the welcome was written: no send can arrive earlier
     */
    long welcome(String userId, String deviceId, long cursor, long lastSeq, int sendsPerSecond, int sendBurst) {
        ObjectNode welcome = welcomeNode(userId, deviceId, cursor, lastSeq)
                .put("sendsPerSecond", sendsPerSecond).put("sendBurst", sendBurst);
        long writtenNanos = System.nanoTime();
        send(welcome.toString());
        return writtenNanos;
    }

    /** Accepts the latest connection, advertising the reconnect backoff {@code reconnectBase} to {@code reconnectMax}. */
    void welcome(String userId, String deviceId, long cursor, long lastSeq, Duration reconnectBase, Duration reconnectMax) {
        send(welcomeNode(userId, deviceId, cursor, lastSeq).put("reconnectBaseMs", reconnectBase.toMillis())
                .put("reconnectMaxMs", reconnectMax.toMillis()).toString());
    }

    private static ObjectNode welcomeNode(String userId, String deviceId, long cursor, long lastSeq) {
        return Wire.MAPPER.createObjectNode().put("type", "welcome").put("connectionId", "c1")
                .put("userId", userId).put("deviceId", deviceId).put("cursor", cursor).put("lastSeq", lastSeq)
                .put("pingIntervalMs", 30000).put("pingTimeoutMs", 90000).put("maxMessageBytes", 65536)
                .put("maxBodyBytes", 16384);
    }

    /** Writes one inbox entry from bob to alice. */
    void inboxEntry(long seq, String body) {
        send("{\"type\":\"message\",\"seq\":" + seq + ",\"message\":{\"id\":" + (100 + seq) + ",\"from\":\"bob\","
                + "\"fromDevice\":\"web\",\"to\":{\"kind\":\"user\",\"id\":\"alice\"},\"clientId\":\"b-" + seq
                + "\",\"ts\":1764000000000,\"body\":\"" + body + "\"}}");
    }

    /** Writes a {@code publication} from alice with a text {@code data}. */
    void publication(String topic, String epoch, long offset, String data) {
        send(Wire.MAPPER.createObjectNode().put("type", "publication").put("topic", topic).put("epoch", epoch)
                .put("offset", offset).put("data", data).put("from", "alice").toString());
    }

    /** Answers {@code request} (a received message with a {@code ref}) with a {@code result} carrying {@code data}. */
    void result(JsonNode request, ObjectNode data) {
        send(Wire.MAPPER.createObjectNode().put("type", "result").put("ref", request.path("ref").asText())
                .<ObjectNode>set("data", data).toString());
    }

    /** Answers {@code request} with an {@code error} of this code. */
    void error(JsonNode request, String code) {
        send(Wire.MAPPER.createObjectNode().put("type", "error").put("ref", request.path("ref").asText())
                .put("code", code).put("message", "refused by the test").toString());
    }

    /** Writes a text frame to the latest connection. */
    void send(String json) {
        client.writeAndFlush(new TextWebSocketFrame(json));
    }

    /** Closes the latest connection with a close frame. */
    void close(int code, String reason) {
        client.writeAndFlush(new CloseWebSocketFrame(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void close() {
        serverChannel.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /** Records the request URI and answers refused handshakes; passes the others on to be upgraded. */
    private final class HandshakeGate extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            if (!(msg instanceof FullHttpRequest request)) {
                ctx.fireChannelRead(msg);
                return;
            }
            Integer status = refusals.poll();
            if (status == null) {
                ctx.fireChannelRead(msg);
                return;
            }
            refusedUris.add(request.uri());
            request.release();
            byte[] body = "{\"error\":\"unauthorized\"}".getBytes(StandardCharsets.UTF_8);
            FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_LENGTH, body.length);
            response.headers().set(HttpHeaderNames.CONNECTION, "close");
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Records what the client sends on an upgraded connection. */
    private final class FrameRecorder extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete upgrade) {
                upgradedChannels.add(ctx.channel());
                upgrades.add(upgrade);
            }
            super.userEventTriggered(ctx, event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) throws Exception {
            long arrivedNanos = System.nanoTime();
            if (frame instanceof TextWebSocketFrame text) {
                JsonNode node = Wire.parse(text.text());
                if (node instanceof ObjectNode object) {
                    object.put("__receivedNanos", arrivedNanos);
                }
                received.add(node);
            } else if (frame instanceof BinaryWebSocketFrame binary) {
                int headerLength = binary.content().getUnsignedShort(0);
                byte[] header = new byte[headerLength];
                binary.content().getBytes(2, header);
                byte[] data = new byte[binary.content().readableBytes() - 2 - headerLength];
                binary.content().getBytes(2 + headerLength, data);
                ObjectNode node = (ObjectNode) Wire.MAPPER.readTree(header);
                node.put("__data", Base64.getEncoder().encodeToString(data)).put("__receivedNanos", arrivedNanos);
                received.add(node);
            } else if (frame instanceof CloseWebSocketFrame close) {
                received.add(Wire.MAPPER.createObjectNode().put("type", "__close")
                        .put("code", close.statusCode()).put("__receivedNanos", arrivedNanos));
                ctx.writeAndFlush(new CloseWebSocketFrame(close.statusCode(), "")).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }
}
