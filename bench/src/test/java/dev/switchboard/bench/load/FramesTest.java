package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The byte searches the generator reads frames with, instead of parsing them. */
class FramesTest {
    private static ByteBuf text(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.US_ASCII);
    }

    @Test
    void timestamp_isTheNumberAfterTheFirstTKey_orMinusOne() {
        assertThat(Frames.timestamp(text("{\"type\":\"message\",\"body\":{\"t\":123456789,\"p\":\"x\"}}"))).isEqualTo(123456789L);
        assertThat(Frames.timestamp(text("{\"t\":1,\"t\":2}"))).isEqualTo(1L);
        assertThat(Frames.timestamp(text("{\"type\":\"synced\",\"seq\":4}"))).isEqualTo(-1L);
        assertThat(Frames.timestamp(text("{\"t\":\"x\"}"))).as("no digits").isEqualTo(-1L);
        assertThat(Frames.timestamp(text("{\"t\":"))).as("cut after the key").isEqualTo(-1L);
    }

    @Test
    void indexOf_findsThePatternWithinTheRange_inAnyCaseWhenAsked() {
        ByteBuf buffer = text("xxHeader-Name: 1\r\n\r\n");

        assertThat(Frames.indexOf(buffer, 0, buffer.writerIndex(), Frames.ascii("\r\n\r\n"), false)).isEqualTo(16);
        assertThat(Frames.indexOf(buffer, 0, 19, Frames.ascii("\r\n\r\n"), false)).as("past the range's end").isEqualTo(-1);
        assertThat(Frames.indexOf(buffer, 0, buffer.writerIndex(), Frames.ascii("header-name:"), false)).isEqualTo(-1);
        assertThat(Frames.indexOf(buffer, 0, buffer.writerIndex(), Frames.ascii("header-name:"), true)).isEqualTo(2);
        assertThat(Frames.indexOf(buffer, 3, buffer.writerIndex(), Frames.ascii("header-name:"), true)).isEqualTo(-1);
    }
}
