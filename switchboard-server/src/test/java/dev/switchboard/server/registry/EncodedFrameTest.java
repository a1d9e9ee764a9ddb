package dev.switchboard.server.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameEncoder;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every frame type encoded as Netty's server-side (unmasked) version-13 encoder encodes it, byte for byte. */
class EncodedFrameTest {

    /** Data frames at each length class of the header and either side of the copy threshold, final or not, with reserved bits. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 1024, 1025, 65_535, 65_536, 200_000})
    void dataFrames_areEncodedAsNettyEncodesThem(int length) {
        List<Function<ByteBuf, WebSocketFrame>> frames = List.of(
                TextWebSocketFrame::new,
                BinaryWebSocketFrame::new,
                payload -> new TextWebSocketFrame(false, 0, payload),
                payload -> new ContinuationWebSocketFrame(true, 0, payload),
                payload -> new BinaryWebSocketFrame(true, 4, payload)); // RSV1, as permessage-deflate sets it
        for (Function<ByteBuf, WebSocketFrame> frame : frames) {
            assertSameBytes(frame.apply(payload(length)), frame.apply(payload(length)));
        }
    }

    @Test
    void controlFrames_areEncodedAsNettyEncodesThem() {
        assertSameBytes(new PingWebSocketFrame(), new PingWebSocketFrame());
        assertSameBytes(new PingWebSocketFrame(payload(125)), new PingWebSocketFrame(payload(125)));
        assertSameBytes(new PongWebSocketFrame(payload(7)), new PongWebSocketFrame(payload(7)));
        assertSameBytes(new CloseWebSocketFrame(4003, "kicked"), new CloseWebSocketFrame(4003, "kicked"));
        assertSameBytes(new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER), new CloseWebSocketFrame(true, 0, Unpooled.EMPTY_BUFFER));
    }

    @Test
    void aControlFrameOver125Bytes_isRefused_andReleased() {
        PingWebSocketFrame ping = new PingWebSocketFrame(payload(126));
        CloseWebSocketFrame close = new CloseWebSocketFrame(1000, "x".repeat(124));

        assertThatThrownBy(() -> EncodedFrame.encode(ByteBufAllocator.DEFAULT, ping)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> EncodedFrame.encode(ByteBufAllocator.DEFAULT, close)).isInstanceOf(IllegalArgumentException.class);

        assertThat(ping.refCnt()).isZero();
        assertThat(close.refCnt()).isZero();
    }

    @Test
    void aLongPayload_isNotCopied_andTheFrameIsReleasedOnce() {
        ByteBuf payload = payload(4096);
        BinaryWebSocketFrame frame = new BinaryWebSocketFrame(payload);

        ByteBuf encoded = EncodedFrame.encode(ByteBufAllocator.DEFAULT, frame);

        assertThat(payload.refCnt()).as("held by the encoded frame alone").isEqualTo(1);
        encoded.release();
        assertThat(payload.refCnt()).isZero();
    }

    private static void assertSameBytes(WebSocketFrame ours, WebSocketFrame nettys) {
        byte[] expected = encodedByNetty(nettys);
        boolean sharedEmptyBuffer = ours.content().capacity() == 0; // Unpooled's, which is never freed
        ByteBuf encoded = EncodedFrame.encode(ByteBufAllocator.DEFAULT, ours);
        try {
            assertThat(ByteBufUtil.getBytes(encoded)).isEqualTo(expected);
        } finally {
            encoded.release();
        }
        if (!sharedEmptyBuffer) {
            assertThat(ours.refCnt()).as("the frame is released, and the encoded bytes were its last holder").isZero();
        }
    }

    private static ByteBuf payload(int length) {
        byte[] bytes = new byte[length];
        Arrays.fill(bytes, (byte) 'x');
        return Unpooled.wrappedBuffer(bytes);
    }

    /** {@code frame} as Netty's server-side encoder writes it (the header and payload may leave as two buffers: joined). */
    static byte[] encodedByNetty(WebSocketFrame frame) {
        EmbeddedChannel channel = new EmbeddedChannel(new WebSocket13FrameEncoder(false));
        try {
            channel.writeOutbound(frame);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            ByteBuf part;
            while ((part = channel.readOutbound()) != null) { // header and payload may come as two buffers
                all.writeBytes(ByteBufUtil.getBytes(part));
                part.release();
            }
            return all.toByteArray();
        } finally {
            channel.finishAndReleaseAll();
        }
    }
}
