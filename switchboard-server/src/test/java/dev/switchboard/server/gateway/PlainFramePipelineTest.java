package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.CloseCodes;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A connection without extensions as the upgrade leaves it ({@link WebSocketUpgrade} with the
 * gateway's decoder settings, on an embedded channel): Netty's frame decoder and the endpoint, no
 * frame encoder. Client bytes go in (masked, as a browser sends them);
 * what comes out must be bytes only, and each write exactly one frame a client decodes, including the
 * close frames that answer the decoder's protocol violations.
 */
class PlainFramePipelineTest {
    private static final int MAX_MESSAGE_BYTES = 2048;

    private EmbeddedChannel channel;
    private EchoingEndpoint endpoint;

    @BeforeEach
    void openChannel() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        endpoint = new EchoingEndpoint();
        WebSocketUpgrade.Factory upgrades = new WebSocketUpgrade.Factory(GatewayInitializer.decoderConfig(MAX_MESSAGE_BYTES), List.of());
        GatewayInitializer.addHttpHandlers(channel.pipeline(), 10_000);
        channel.pipeline().addLast("http-handler", new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                upgrades.prepare(request).complete(ctx, "endpoint", endpoint);
            }
        });
        channel.writeInbound(Unpooled.copiedBuffer("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
                StandardCharsets.US_ASCII));
        ByteBuf switchingProtocols = channel.readOutbound();
        assertThat(switchingProtocols.toString(StandardCharsets.US_ASCII)).startsWith("HTTP/1.1 101 ");
        switchingProtocols.release();
        assertThat(channel.pipeline().names()).as("no frame encoder").doesNotContain(WebSocketUpgrade.FRAME_ENCODER);
    }

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void ping_isAnsweredWithAnEncodedPong() {
        receive(new PingWebSocketFrame(utf8("are you there")));

        List<WebSocketFrame> written = written();
        assertThat(written).hasSize(1).first().isInstanceOf(PongWebSocketFrame.class);
        assertThat(text(written.get(0))).isEqualTo("are you there");
        release(written);
    }

    @Test
    void textAndBinaryWrites_areEncoded_shortOrLong() {
        byte[] longPayload = new byte[1500]; // past the encoder's copy threshold: header and payload in one composite
        Arrays.fill(longPayload, (byte) 7);

        receive(new TextWebSocketFrame("héllo"));
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(longPayload)));

        List<WebSocketFrame> written = written();
        assertThat(written).hasSize(2);
        assertThat(written.get(0)).isInstanceOf(TextWebSocketFrame.class);
        assertThat(text(written.get(0))).isEqualTo("héllo");
        assertThat(written.get(1)).isInstanceOf(BinaryWebSocketFrame.class);
        assertThat(ByteBufUtil.getBytes(written.get(1).content())).isEqualTo(longPayload);
        release(written);
    }

    @Test
    void close_isEchoedEncoded_thenTheChannelCloses() {
        receive(new CloseWebSocketFrame(4321, "bye"));

        assertOnlyCloseWritten(4321);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void keepAlivePing_isEncoded() {
        channel.advanceTimeBy(100, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();

        List<WebSocketFrame> written = written();
        assertThat(written).hasSize(1).first().isInstanceOf(PingWebSocketFrame.class);
        release(written);
    }

    @Test
    void aReservedOpcode_closesWith1002_andWhatFollowsIsDropped() {
        ByteBuf violationThenText = Unpooled.wrappedBuffer(
                Unpooled.wrappedBuffer(new byte[] {(byte) 0x83, (byte) 0x80, 1, 2, 3, 4}), // FIN, opcode 3, masked, empty
                clientBytes(new TextWebSocketFrame("after the violation")));

        channel.writeInbound(violationThenText);

        assertOnlyCloseWritten(CloseCodes.PROTOCOL_ERROR);
        assertThat(endpoint.received).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void aReservedBit_withoutAnExtension_closesWith1002() {
        receive(new TextWebSocketFrame(true, 4, utf8("compressed?"))); // RSV1, with no permessage-deflate negotiated

        assertOnlyCloseWritten(CloseCodes.PROTOCOL_ERROR);
        assertThat(endpoint.received).isEmpty();
    }

    @Test
    void aSingleFrameOverTheLimit_closesWith1009() {
        receive(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[MAX_MESSAGE_BYTES + 1])));

        assertOnlyCloseWritten(CloseCodes.MESSAGE_TOO_BIG);
        assertThat(endpoint.received).isEmpty();
    }

    @Test
    void aCloseFrameWithAnInvalidCode_closesWith1002() {
        receive(new CloseWebSocketFrame(true, 0, Unpooled.wrappedBuffer(new byte[] {0x03, (byte) 0xEC}))); // 1004: reserved

        assertOnlyCloseWritten(CloseCodes.PROTOCOL_ERROR);
    }

    @Test
    void aCloseWithALongReason_isCutToFitTheFrame() {
        endpoint.closeFromServer(CloseCodes.BANNED, "r".repeat(200));

        List<WebSocketFrame> written = written();
        assertThat(written).hasSize(1);
        CloseWebSocketFrame close = (CloseWebSocketFrame) written.get(0);
        assertThat(close.statusCode()).isEqualTo(CloseCodes.BANNED);
        assertThat(close.reasonText()).isEqualTo("r".repeat(123));
        release(written);
    }

    private void receive(WebSocketFrame frame) {
        channel.writeInbound(clientBytes(frame));
    }

    /** {@code frame} as a client sends it: masked. */
    private static ByteBuf clientBytes(WebSocketFrame frame) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameEncoder(true));
        try {
            client.writeOutbound(frame);
            ByteBuf all = Unpooled.buffer();
            for (ByteBuf part; (part = client.readOutbound()) != null; ) {
                all.writeBytes(part);
                part.release();
            }
            return all;
        } finally {
            client.finishAndReleaseAll();
        }
    }

    /** Every write so far, each of which must be bytes holding exactly one frame, decoded as a client decodes it. */
    private List<WebSocketFrame> written() {
        List<WebSocketFrame> frames = new ArrayList<>();
        for (Object message; (message = channel.readOutbound()) != null; ) {
            assertThat(message).as("bytes, not a frame object: nothing encodes after the endpoint").isInstanceOf(ByteBuf.class)
                    .isNotInstanceOf(WebSocketFrame.class);
            EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                    .expectMaskedFrames(false).maxFramePayloadLength(1 << 20).build()));
            try {
                client.writeInbound(message);
                Object decoded = client.readInbound();
                assertThat(decoded).isInstanceOf(WebSocketFrame.class);
                assertThat((Object) client.readInbound()).as("one frame per write").isNull();
                frames.add((WebSocketFrame) decoded);
            } finally {
                client.finishAndReleaseAll();
            }
        }
        return frames;
    }

    private void assertOnlyCloseWritten(int code) {
        List<WebSocketFrame> written = written();
        assertThat(written).hasSize(1).first().isInstanceOf(CloseWebSocketFrame.class);
        assertThat(((CloseWebSocketFrame) written.get(0)).statusCode()).isEqualTo(code);
        release(written);
    }

    private static String text(WebSocketFrame frame) {
        return frame.content().toString(StandardCharsets.UTF_8);
    }

    private static ByteBuf utf8(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    private static void release(List<WebSocketFrame> frames) {
        frames.forEach(ReferenceCountUtil::release);
    }

    /** Echoes each message in its frame type, as the echo endpoint does, and hands errors to the gateway's handling. */
    private static final class EchoingEndpoint extends WebSocketEndpointHandler {
        final List<String> received = new ArrayList<>();

        EchoingEndpoint() {
            super(new KeepAlive(100, 300), MAX_MESSAGE_BYTES);
        }

        void closeFromServer(int code, String reason) {
            close(code, reason);
        }

        @Override
        protected void onText(ChannelHandlerContext ctx, ByteBuf utf8) {
            received.add(utf8.toString(StandardCharsets.UTF_8));
            ctx.channel().writeAndFlush(new TextWebSocketFrame(utf8.retainedDuplicate()));
        }

        @Override
        protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
            received.add("binary:" + content.readableBytes());
            ctx.channel().writeAndFlush(new BinaryWebSocketFrame(content.retainedDuplicate()));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            WebSocketErrors.handle(ctx, cause, LoggerFactory.getLogger(PlainFramePipelineTest.class), "test");
        }
    }
}
