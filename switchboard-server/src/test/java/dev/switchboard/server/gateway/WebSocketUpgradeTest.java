package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.handler.timeout.IdleStateHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The upgrade on an embedded channel with the gateway's plain-HTTP handlers: what goes out, in which
 * writes, and the pipeline left behind.
 */
class WebSocketUpgradeTest {
    private static final String REQUEST = "GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n";
    private static final String WELCOME = "{\"type\":\"welcome\",\"padding\":\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"}";

    private EmbeddedChannel channel;
    /** What reached the channel's head, one list per flush. */
    private final FlushRecorder flushes = new FlushRecorder();

    @AfterEach
    void releaseEverything() {
        if (channel != null) {
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void complete_sendsThe101AndWhatTheEndpointWroteAsItBegan_inOneFlush() {
        WelcomingEndpoint endpoint = new WelcomingEndpoint();
        upgrade(compressionOff(), REQUEST + "\r\n", endpoint);

        List<ByteBuf> flushed = flushedTogether();
        assertThat(flushed).hasSize(2);
        String response = flushed.get(0).toString(StandardCharsets.US_ASCII);
        assertThat(response).startsWith("HTTP/1.1 101 Switching Protocols\r\n")
                .containsIgnoringCase("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n") // RFC 6455 §1.3's example
                .doesNotContainIgnoringCase("sec-websocket-extensions");
        ByteBuf frame = flushed.get(1);
        assertThat(frame.getByte(0) & 0xff).as("FIN, no RSV1, text").isEqualTo(0x81);
        assertThat(frame.toString(frame.readerIndex() + 2, WELCOME.length(), StandardCharsets.UTF_8)).isEqualTo(WELCOME);
        assertThat(endpoint.pipelineAtStart).as("the endpoint begins on the frame pipeline")
                .contains(WebSocketUpgrade.FRAME_DECODER, "endpoint")
                .doesNotContain(GatewayInitializer.HTTP_CODEC, "http-handler");
        flushed.forEach(ByteBuf::release);
    }

    /** Without an extension, the decoder and the endpoint, which encodes what it writes: two contexts per idle connection. */
    @Test
    void complete_leavesOnlyTheFrameDecoderAndTheEndpoint() {
        upgrade(compressionOff(), REQUEST + "\r\n", new WelcomingEndpoint());

        assertThat(channel.pipeline().names()).startsWith("flushes", WebSocketUpgrade.FRAME_DECODER, "endpoint")
                .doesNotContain(WebSocketUpgrade.FRAME_ENCODER);
        assertThat(channel.pipeline().get(HttpServerCodec.class)).isNull();
        assertThat(channel.pipeline().get(HttpObjectAggregator.class)).isNull();
        assertThat(channel.pipeline().get(IdleStateHandler.class)).as("the handshake timeout").isNull();
        flushedTogether().forEach(ByteBuf::release);
    }

    /** What the upgrade sets up without an extension: the endpoint encodes frames, and reserved bits break the protocol. */
    @Test
    void withoutAnExtension_framesAreEncodedByTheEndpoint_andAReservedBitClosesWith1002() {
        upgrade(compressionOff(), REQUEST + "\r\n", new WelcomingEndpoint());
        flushedTogether().forEach(ByteBuf::release);

        channel.writeAndFlush(new PingWebSocketFrame());
        channel.runPendingTasks();
        ByteBuf ping = channel.readOutbound();
        assertThat(ping.getByte(0) & 0xff).as("FIN, ping").isEqualTo(0x89);
        ping.release();

        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0xc1, (byte) 0x80, 0, 0, 0, 0})); // FIN, RSV1, text
        channel.runPendingTasks();

        assertClosedWithProtocolError();
    }

    /** With permessage-deflate a protocol violation is closed by the endpoint too, through Netty's frame encoder. */
    @Test
    void withPermessageDeflate_aProtocolViolationClosesWith1002() {
        upgrade(compressionOn(), REQUEST + "Sec-WebSocket-Extensions: permessage-deflate\r\n\r\n", new WelcomingEndpoint());
        flushedTogether().forEach(ByteBuf::release);

        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {(byte) 0x83, (byte) 0x80, 0, 0, 0, 0})); // FIN, opcode 3
        channel.runPendingTasks();

        assertClosedWithProtocolError();
    }

    @Test
    void complete_compressesTheEndpointsFirstMessage_whenPermessageDeflateIsNegotiated() {
        WelcomingEndpoint endpoint = new WelcomingEndpoint();
        upgrade(compressionOn(), REQUEST + "Sec-WebSocket-Extensions: permessage-deflate; client_max_window_bits\r\n\r\n", endpoint);

        List<ByteBuf> flushed = flushedTogether();
        assertThat(flushed).hasSize(2);
        assertThat(flushed.get(0).toString(StandardCharsets.US_ASCII))
                .containsIgnoringCase("sec-websocket-extensions: permessage-deflate");
        assertThat(flushed.get(1).getByte(0) & 0xff).as("FIN, RSV1 (compressed), text").isEqualTo(0xc1);
        assertThat(channel.pipeline().get(WebSocketExtensionEncoder.class)).isNotNull();
        assertThat(channel.pipeline().names()).as("the extension's encoder needs Netty's frame encoder behind it")
                .contains(WebSocketUpgrade.FRAME_ENCODER);
        flushed.forEach(ByteBuf::release);
    }

    @Test
    void prepare_negotiatesNothing_whenOnlyUnknownExtensionsAreOffered() {
        upgrade(compressionOn(), REQUEST + "Sec-WebSocket-Extensions: x-unknown; level=3\r\n\r\n", new WelcomingEndpoint());

        List<ByteBuf> flushed = flushedTogether();
        assertThat(flushed.get(0).toString(StandardCharsets.US_ASCII)).doesNotContainIgnoringCase("sec-websocket-extensions");
        assertThat(flushed.get(1).getByte(0) & 0xff).isEqualTo(0x81);
        flushed.forEach(ByteBuf::release);
    }

    /** A pipeline as the gateway's before the upgrade, whose request handler upgrades at once to {@code endpoint}. */
    private void upgrade(WebSocketUpgrade.Factory factory, String request, WebSocketEndpointHandler endpoint) {
        channel = new EmbeddedChannel();
        channel.pipeline().addLast("flushes", flushes);
        GatewayInitializer.addHttpHandlers(channel.pipeline(), 10_000);
        channel.pipeline().addLast("http-handler", new SimpleChannelInboundHandler<FullHttpRequest>() {
            @Override
            protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest fullRequest) {
                factory.prepare(fullRequest).complete(ctx, "endpoint", endpoint);
            }
        });
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.US_ASCII));
    }

    /** What was written since is one close frame with 1002, and the channel is closed. */
    private void assertClosedWithProtocolError() {
        ByteBuf close = readAllOutbound();
        try {
            assertThat(close.getByte(0) & 0xff).as("FIN, close").isEqualTo(0x88);
            assertThat(close.getUnsignedShort(2)).isEqualTo(1002);
        } finally {
            close.release();
        }
        assertThat(channel.isOpen()).isFalse();
    }

    /** Every outbound buffer so far, joined (Netty's encoder may write a frame's header and payload apart). */
    private ByteBuf readAllOutbound() {
        ByteBuf all = Unpooled.buffer();
        for (ByteBuf part; (part = channel.readOutbound()) != null; ) {
            all.writeBytes(part);
            part.release();
        }
        return all;
    }

    /** Everything written, checking it all went out in the one flush the upgrade makes. */
    private List<ByteBuf> flushedTogether() {
        channel.runPendingTasks(); // the endpoint's consolidated flush, if it scheduled one
        assertThat(flushes.batches).as("flushes").hasSize(1);
        assertThat(flushes.unflushed).as("written, never flushed").isEmpty();
        List<ByteBuf> written = new ArrayList<>();
        for (Object message; (message = channel.readOutbound()) != null; ) {
            written.add((ByteBuf) message);
        }
        assertThat(new ArrayList<Object>(written)).isEqualTo(flushes.batches.get(0));
        return written;
    }

    private static WebSocketUpgrade.Factory compressionOff() {
        return new WebSocketUpgrade.Factory(WebSocketDecoderConfig.newBuilder().build(), List.of());
    }

    private static WebSocketUpgrade.Factory compressionOn() {
        return new WebSocketUpgrade.Factory(WebSocketDecoderConfig.newBuilder().build(), List.of(new PerMessageDeflateServerExtensionHandshaker(65536)));
    }

    /** Records each write at the head of the pipeline, grouped by the flush that took it out. */
    private static final class FlushRecorder extends ChannelOutboundHandlerAdapter {
        final List<List<Object>> batches = new ArrayList<>();
        List<Object> unflushed = new ArrayList<>();

        @Override
        public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
            unflushed.add(message);
            ctx.write(message, promise);
        }

        @Override
        public void flush(ChannelHandlerContext ctx) {
            if (!unflushed.isEmpty()) {
                batches.add(unflushed);
                unflushed = new ArrayList<>();
            }
            ctx.flush();
        }
    }

    /** Writes and flushes a welcome as it begins, as a session does: it must leave in the upgrade's one flush. */
    private static final class WelcomingEndpoint extends WebSocketEndpointHandler {
        List<String> pipelineAtStart;

        WelcomingEndpoint() {
            super(new KeepAlive(TimeUnit.SECONDS.toMillis(30), TimeUnit.SECONDS.toMillis(90)), 65536);
        }

        @Override
        protected void onUpgraded(ChannelHandlerContext ctx) {
            pipelineAtStart = ctx.pipeline().names();
            ctx.channel().writeAndFlush(new TextWebSocketFrame(WELCOME));
        }

        @Override
        protected void onText(ChannelHandlerContext ctx, ByteBuf utf8) {
        }

        @Override
        protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            WebSocketErrors.handle(ctx, cause, LoggerFactory.getLogger(WebSocketUpgradeTest.class), "test");
        }
    }
}
