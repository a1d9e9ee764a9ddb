package dev.switchboard.server.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.testing.OutboundFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a connection writes text: framed by itself into one buffer when it has no extension, as a
 * {@code TextWebSocketFrame} for the extension's encoders when it negotiated one; either way the
 * same text, and the caller's buffer released exactly once.
 */
class ConnectionWriteTest {
    private static final ServerMetrics METRICS = new ServerMetrics();
    private final EmbeddedChannel plainChannel = new EmbeddedChannel();
    private final EmbeddedChannel extendedChannel = new EmbeddedChannel();
    private final Connection plain = new Connection(new ConnectionIds(), new Principal("ann", "d", 0), plainChannel, METRICS, false);
    private final Connection extended = new Connection(new ConnectionIds(), new Principal("ben", "d", 0), extendedChannel, METRICS, true);

    @AfterEach
    void release() {
        plainChannel.finishAndReleaseAll();
        extendedChannel.finishAndReleaseAll();
    }

    private static ByteBuf json(String text) {
        return Unpooled.copiedBuffer(text, StandardCharsets.UTF_8);
    }

    @Test
    void withoutExtensions_aBufferIsWrittenAsTheFramesBytes_andReleased() {
        ByteBuf json = json("{\"type\":\"sent\",\"ref\":\"1\"}");

        plain.write(json);

        assertThat(json.refCnt()).isZero();
        Object written = plainChannel.outboundMessages().peek();
        assertThat(written).isInstanceOf(ByteBuf.class).isNotInstanceOf(WebSocketFrame.class);
        assertThat(OutboundFrames.texts(plainChannel)).containsExactly("{\"type\":\"sent\",\"ref\":\"1\"}");
    }

    @Test
    void withoutExtensions_partsAreWrittenAsOneFrame_andLeftUnchanged() {
        byte[] shared = "\"body\"".getBytes(StandardCharsets.UTF_8);

        plain.write("{\"a\":".getBytes(StandardCharsets.UTF_8), shared, "}".getBytes(StandardCharsets.UTF_8));
        plain.write("[".getBytes(StandardCharsets.UTF_8), shared, "]".getBytes(StandardCharsets.UTF_8));

        assertThat(OutboundFrames.texts(plainChannel)).containsExactly("{\"a\":\"body\"}", "[\"body\"]");
        assertThat(new String(shared, StandardCharsets.UTF_8)).isEqualTo("\"body\"");
    }

    @Test
    void withoutExtensions_aSharedFrameWithoutItsEncodedBytes_isFramedHere() {
        assertThat(plain.writeShared("{\"n\":1}".getBytes(StandardCharsets.UTF_8))).isTrue();

        assertThat(plainChannel.outboundMessages().peek()).isNotInstanceOf(WebSocketFrame.class);
        assertThat(OutboundFrames.texts(plainChannel)).containsExactly("{\"n\":1}");
    }

    @Test
    void withAnExtension_everyWriteIsATextFrame_forItsEncoder() {
        ByteBuf json = json("{\"type\":\"sent\"}");

        extended.write(json);
        extended.write("{\"a\":".getBytes(StandardCharsets.UTF_8), "1}".getBytes(StandardCharsets.UTF_8));
        extended.writeShared("{\"n\":1}".getBytes(StandardCharsets.UTF_8));

        List<Object> written = List.copyOf(extendedChannel.outboundMessages());
        assertThat(written).hasSize(3).allSatisfy(message -> assertThat(message).isInstanceOf(TextWebSocketFrame.class));
        assertThat(OutboundFrames.texts(extendedChannel)).containsExactly("{\"type\":\"sent\"}", "{\"a\":1}", "{\"n\":1}");
        assertThat(json.refCnt()).isZero(); // released with the frame that carried it
    }
}
