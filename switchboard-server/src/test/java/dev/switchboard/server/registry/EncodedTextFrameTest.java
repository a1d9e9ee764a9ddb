package dev.switchboard.server.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class EncodedTextFrameTest {

    /** Each length class of the header: 7-bit, 16-bit and 64-bit lengths, at their edges. */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 127, 65_535, 65_536, 200_000})
    void encode_writesTheBytesNettysServerEncoderWrites(int length) {
        byte[] payload = new byte[length];
        Arrays.fill(payload, (byte) 'x');

        ByteBuf ours = EncodedTextFrame.encode(ByteBufAllocator.DEFAULT, payload);
        byte[] nettys = encodedByNetty(payload);
        try {
            assertThat(ByteBufUtil.getBytes(ours)).isEqualTo(nettys);
        } finally {
            ours.release();
        }
    }

    /** The same bytes from a payload given in parts, or in a buffer (whose indexes stay where they were). */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 125, 126, 65_535, 65_536})
    void encodePartsAndBuffers_writeTheSameBytes(int length) {
        byte[] payload = new byte[length];
        Arrays.fill(payload, (byte) 'y');
        int split = length / 3;
        byte[] nettys = encodedByNetty(payload);

        ByteBuf fromParts = EncodedTextFrame.encode(ByteBufAllocator.DEFAULT, Arrays.copyOfRange(payload, 0, split),
                new byte[0], Arrays.copyOfRange(payload, split, length));
        ByteBuf source = Unpooled.buffer(length + 3).writeBytes(new byte[] {1, 2, 3}).readerIndex(3).writeBytes(payload);
        ByteBuf fromBuffer = EncodedTextFrame.encode(ByteBufAllocator.DEFAULT, source);
        try {
            assertThat(ByteBufUtil.getBytes(fromParts)).isEqualTo(nettys);
            assertThat(ByteBufUtil.getBytes(fromBuffer)).isEqualTo(nettys);
            assertThat(fromParts.writableBytes()).isZero(); // one buffer of exactly the frame's size
            assertThat(source.readerIndex()).isEqualTo(3);
            assertThat(source.readableBytes()).isEqualTo(length);
        } finally {
            fromParts.release();
            fromBuffer.release();
            source.release();
        }
    }

    private static byte[] encodedByNetty(byte[] payload) {
        return EncodedFrameTest.encodedByNetty(new TextWebSocketFrame(Unpooled.wrappedBuffer(payload)));
    }
}
