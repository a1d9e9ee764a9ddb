package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.registry.ClosedBy;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.ChannelPromise;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The endpoint handler on an embedded channel: the WebSocket protocol's own duties (ping, close,
 * fragments, UTF-8, nothing after close) and the keep-alive, whose clock the test moves (no waiting,
 * no real time).
 */
class WebSocketEndpointHandlerTest {
    private static final int MAX_MESSAGE_BYTES = 16;

    private EmbeddedChannel channel;
    private RecordingEndpoint endpoint;

    @BeforeEach
    void openChannel() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        endpoint = new RecordingEndpoint();
        channel.pipeline().addLast(endpoint);
        endpoint.upgraded();
    }

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void silence_sendsPing_afterOneInterval() {
        advance(99);
        assertThat((Object) channel.readOutbound()).isNull();

        advance(1);

        assertPingWritten();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void silence_sendsAPingEveryInterval_belowTheTimeout() {
        advance(100);
        assertPingWritten();

        advance(100);

        assertPingWritten();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void silence_closesWith4002_whenItReachesTheTimeout() {
        advance(100);
        assertPingWritten();
        advance(100);
        assertPingWritten();

        advance(100);

        Object written = channel.readOutbound();
        try {
            assertThat(written).isInstanceOf(CloseWebSocketFrame.class);
            assertThat(((CloseWebSocketFrame) written).statusCode()).isEqualTo(CloseCodes.HEARTBEAT_TIMEOUT).isEqualTo(4002);
        } finally {
            ReferenceCountUtil.release(written);
        }
        assertThat(channel.isOpen()).as("channel closed after the close frame was written").isFalse();
    }

    @Test
    void inboundTraffic_restartsTheCount() {
        advance(100);
        assertPingWritten();
        advance(100);
        assertPingWritten();

        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1})); // the pong, say
        ReferenceCountUtil.release(channel.readInbound());
        advance(100);
        assertPingWritten();
        advance(100);

        assertPingWritten();
        assertThat(channel.isOpen()).as("two idle intervals after activity are below the timeout").isTrue();
    }

    @Test
    void closedChannel_hasNoTimerLeft() {
        channel.close();

        advance(1_000);

        assertThat((Object) channel.readOutbound()).isNull();
    }

    /** The close deadline holds the whole channel: a connection that ended must not wait for it to pass. */
    @Test
    void aCloseAnsweredAtOnce_leavesNoDeadlineBehind() {
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.KICKED, "kicked"));
        assertCloseWritten(CloseCodes.KICKED);
        channel.writeInbound(new CloseWebSocketFrame(1000, "ok")); // the answer: the connection ends now

        assertThat(channel.isOpen()).isFalse();
        assertThat(channel.runScheduledPendingTasks()).as("nanoseconds to the next scheduled task; -1: none").isEqualTo(-1);
    }

    @Test
    void upgraded_isPassedOnOnce() {
        assertThat(endpoint.upgrades).isEqualTo(1);
    }

    @Test
    void ping_isAnsweredWithPongCarryingTheSamePayload() {
        channel.writeInbound(new PingWebSocketFrame(utf8("are you there")));

        Object written = channel.readOutbound();
        try {
            assertThat(written).isInstanceOf(PongWebSocketFrame.class);
            assertThat(((PongWebSocketFrame) written).content().toString(StandardCharsets.UTF_8)).isEqualTo("are you there");
        } finally {
            ReferenceCountUtil.release(written);
        }
        assertThat(endpoint.messages).isEmpty();
    }

    @Test
    void close_isEchoedWithTheClientsCode_thenTheChannelCloses() {
        channel.writeInbound(new CloseWebSocketFrame(4321, "bye"));

        assertCloseWritten(4321);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void textAndBinary_arePassedOnWhole() {
        channel.writeInbound(new TextWebSocketFrame("{\"a\":1}"));
        channel.writeInbound(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(new byte[] {1, 2})));

        assertThat(endpoint.messages).containsExactly("text:{\"a\":1}", "binary:2");
    }

    @Test
    void fragments_areReassembled_withAPingInBetweenAnswered() {
        channel.writeInbound(new TextWebSocketFrame(false, 0, utf8("hél")));
        channel.writeInbound(new PingWebSocketFrame(utf8("p")));
        channel.writeInbound(new ContinuationWebSocketFrame(false, 0, utf8("lo ")));
        assertThat(endpoint.messages).as("nothing before the final fragment").isEmpty();

        channel.writeInbound(new ContinuationWebSocketFrame(true, 0, utf8("wörld")));

        assertThat(endpoint.messages).containsExactly("text:héllo wörld");
        ReferenceCountUtil.release(channel.readOutbound()); // the pong
    }

    @Test
    void fragmentedMessage_overTheLimit_closesWith1009() {
        channel.writeInbound(new TextWebSocketFrame(false, 0, utf8("0123456789")));

        channel.writeInbound(new ContinuationWebSocketFrame(true, 0, utf8("0123456789")));

        assertCloseWritten(CloseCodes.MESSAGE_TOO_BIG);
        assertThat(endpoint.messages).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void malformedUtf8_closesWith1007() {
        byte[][] malformed = {
                {(byte) 0xC0, (byte) 0x80},              // overlong NUL
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}, // a UTF-16 surrogate
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, // above U+10FFFF
                {'a', (byte) 0xE2, (byte) 0x82},         // truncated sequence
        };
        for (byte[] bytes : malformed) {
            openChannel();

            channel.writeInbound(new TextWebSocketFrame(Unpooled.wrappedBuffer(bytes)));

            assertCloseWritten(CloseCodes.INVALID_PAYLOAD);
            assertThat(endpoint.messages).isEmpty();
            channel.finishAndReleaseAll();
        }
    }

    @Test
    void aCloseFrameTheClientDoesNotRead_closesTheConnectionAtTheDeadline() {
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
                ReferenceCountUtil.release(message); // never written: a client that stopped reading, its buffers full
            }
        });
        advance(300); // two pings, then the heartbeat timeout's close frame

        assertThat(channel.isOpen()).as("the close frame is still on its way").isTrue();
        advance(WebSocketEndpointHandler.FORCED_CLOSE_MILLIS - 1);
        assertThat(channel.isOpen()).isTrue();
        advance(1);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void theEchoOfAClientsClose_thatTheClientDoesNotRead_closesTheConnectionAtTheDeadline() {
        channel.pipeline().addFirst(new ChannelOutboundHandlerAdapter() {
            @Override
            public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
                ReferenceCountUtil.release(message);
            }
        });
        channel.writeInbound(new CloseWebSocketFrame(1000, "bye"));

        assertThat(channel.isOpen()).isTrue();
        advance(WebSocketEndpointHandler.FORCED_CLOSE_MILLIS);
        assertThat(channel.isOpen()).isFalse();
    }

    /** What an extension's decoder leaves set (it clears its own bit): nothing negotiated it. */
    @Test
    void aFrameWithAReservedBit_closesWith1002_andIsNotPassedOn() {
        channel.writeInbound(new TextWebSocketFrame(true, 2, utf8("{\"a\":1}"))); // RSV2

        assertCloseWritten(CloseCodes.PROTOCOL_ERROR);
        assertThat(endpoint.messages).isEmpty();
        assertThat(channel.isOpen()).isFalse();
    }

    /** The client's answer to our close is broken: the connection ends now, not at the close deadline. */
    @Test
    void aReservedBitInTheAnswerToOurClose_endsTheConnectionAtOnce() {
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.KICKED, "kicked"));
        assertCloseWritten(CloseCodes.KICKED);

        channel.writeInbound(new CloseWebSocketFrame(true, 4, Unpooled.wrappedBuffer(new byte[] {0x0F, (byte) 0xA4}))); // RSV1

        assertThat(channel.isOpen()).isFalse();
        assertThat((Object) channel.readOutbound()).as("no second close frame").isNull();
    }

    /** Our close answers the first frame of a read and is still held back when the second one ends the connection. */
    @Test
    void twoFramesWithAReservedBitInOneRead_closeWith1002_beforeTheConnectionEnds() {
        channel.writeInbound(new PingWebSocketFrame(true, 4, Unpooled.EMPTY_BUFFER), // RSV1 on a control frame
                new TextWebSocketFrame(true, 2, utf8("{}"))); // RSV2

        assertCloseWritten(CloseCodes.PROTOCOL_ERROR);
        assertThat(channel.isOpen()).isFalse();
    }

    /** Both sides close in one read: our close still goes out before the connection ends. */
    @Test
    void aCloseFromTheClient_inTheReadWhereWeClosed_endsTheConnectionAfterOurClose() {
        channel.writeInbound(new TextWebSocketFrame(true, 2, utf8("{}")), new CloseWebSocketFrame(1000, "bye"));

        assertCloseWritten(CloseCodes.PROTOCOL_ERROR);
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void afterACloseFrame_nothingElseIsWritten() {
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.KICKED, "kicked"));
        ChannelFuture late = channel.writeAndFlush(new TextWebSocketFrame("too late"));

        assertCloseWritten(CloseCodes.KICKED);
        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(late.isSuccess()).isFalse();
    }

    // ---- how the connection ended, as the webhooks report it ----

    @Test
    void howItEnded_isTheClientsCode_whenTheClientClosedFirst() {
        channel.writeInbound(new CloseWebSocketFrame(1001, "going away"));
        assertCloseWritten(1001);

        assertThat(endpoint.closeCode()).isEqualTo(1001);
        assertThat(endpoint.closedBy()).isEqualTo(ClosedBy.CLIENT);
    }

    @Test
    void howItEnded_is1005_whenTheClientsCloseCarriedNoCode() {
        channel.writeInbound(new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER));
        ReferenceCountUtil.release(channel.readOutbound());

        assertThat(endpoint.closeCode()).isEqualTo(CloseCodes.NO_STATUS).isEqualTo(1005);
        assertThat(endpoint.closedBy()).isEqualTo(ClosedBy.CLIENT);
    }

    @Test
    void howItEnded_staysTheServers_whenTheClientAnswersOurClose() {
        channel.writeAndFlush(new CloseWebSocketFrame(CloseCodes.KICKED, "kicked"));
        assertCloseWritten(CloseCodes.KICKED);

        channel.writeInbound(new CloseWebSocketFrame(1000, "ok"));

        assertThat(endpoint.closeCode()).isEqualTo(4003);
        assertThat(endpoint.closedBy()).isEqualTo(ClosedBy.SERVER);
    }

    @Test
    void howItEnded_isTheServers_forAHeartbeatTimeoutAndAProtocolError() {
        advance(100);
        assertPingWritten();
        advance(100);
        assertPingWritten();
        advance(100);
        assertCloseWritten(CloseCodes.HEARTBEAT_TIMEOUT);
        assertThat(endpoint.closeCode()).isEqualTo(4002);
        assertThat(endpoint.closedBy()).isEqualTo(ClosedBy.SERVER);

        RecordingEndpoint other = new RecordingEndpoint();
        EmbeddedChannel otherChannel = new EmbeddedChannel(other);
        other.upgraded();
        otherChannel.writeInbound(new TextWebSocketFrame(true, 2, utf8("{}"))); // RSV2
        assertThat(other.closeCode()).isEqualTo(CloseCodes.PROTOCOL_ERROR);
        assertThat(other.closedBy()).isEqualTo(ClosedBy.SERVER);
        otherChannel.finishAndReleaseAll();
    }

    @Test
    void howItEnded_is1006ByTheNetwork_whenNoCloseFrameWasSeen() {
        channel.close();

        assertThat(endpoint.closeCode()).isEqualTo(CloseCodes.ABNORMAL).isEqualTo(1006);
        assertThat(endpoint.closedBy()).isEqualTo(ClosedBy.NETWORK);
    }

    private void assertCloseWritten(int code) {
        Object written = channel.readOutbound();
        try {
            assertThat(written).isInstanceOf(CloseWebSocketFrame.class);
            assertThat(((CloseWebSocketFrame) written).statusCode()).isEqualTo(code);
        } finally {
            ReferenceCountUtil.release(written);
        }
    }

    private static ByteBuf utf8(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    private void assertPingWritten() {
        Object written = channel.readOutbound();
        try {
            assertThat(written).isInstanceOf(PingWebSocketFrame.class);
        } finally {
            ReferenceCountUtil.release(written);
        }
    }

    /** Records what the handler passes on. */
    private static final class RecordingEndpoint extends WebSocketEndpointHandler {
        final List<String> messages = new ArrayList<>();
        int upgrades;

        RecordingEndpoint() {
            super(new KeepAlive(100, 300), MAX_MESSAGE_BYTES);
        }

        @Override
        protected void onUpgraded(ChannelHandlerContext ctx) {
            upgrades++;
        }

        @Override
        protected void onText(ChannelHandlerContext ctx, ByteBuf utf8) {
            messages.add("text:" + utf8.toString(StandardCharsets.UTF_8));
        }

        @Override
        protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
            messages.add("binary:" + content.readableBytes());
        }
    }
}
