package dev.switchboard.server.registry;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class CloseFramesTest {

    @Test
    void aShortReason_isKept() {
        CloseWebSocketFrame frame = CloseFrames.of(4003, "kicked");
        try {
            assertThat(frame.statusCode()).isEqualTo(4003);
            assertThat(frame.reasonText()).isEqualTo("kicked");
        } finally {
            frame.release();
        }
        String exactlyFitting = "é".repeat(61) + "x"; // 123 bytes
        assertThat(CloseFrames.fit(exactlyFitting)).isEqualTo(exactlyFitting);
    }

    @Test
    void noReason_staysNone() {
        CloseWebSocketFrame frame = CloseFrames.of(4004, null); // a ban published without a reason, say
        try {
            assertThat(frame.statusCode()).isEqualTo(4004);
            assertThat(frame.reasonText()).isEmpty();
        } finally {
            frame.release();
        }
    }

    @Test
    void aLongReason_isCutTo123Bytes_forAFrameOf125() {
        CloseWebSocketFrame frame = CloseFrames.of(4004, "r".repeat(200)); // an operator's ban reason may be 200 chars
        try {
            assertThat(frame.content().readableBytes()).isEqualTo(125);
            assertThat(frame.reasonText()).isEqualTo("r".repeat(123));
        } finally {
            frame.release();
        }
    }

    @Test
    void aCut_neverSplitsACharacter() {
        String twoByteCharacters = "é".repeat(100);       // 200 bytes
        String fourByteCharacters = "\uD83D\uDE00".repeat(40); // 160 bytes, surrogate pairs

        assertThat(CloseFrames.fit(twoByteCharacters)).isEqualTo("é".repeat(61));
        assertThat(CloseFrames.fit(fourByteCharacters)).isEqualTo("\uD83D\uDE00".repeat(30));
        assertThat(CloseFrames.fit("ab" + "€".repeat(60)).getBytes(StandardCharsets.UTF_8)).hasSize(122);
    }
}
