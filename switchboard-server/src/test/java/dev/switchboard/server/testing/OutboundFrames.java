package dev.switchboard.server.testing;

import io.netty.buffer.ByteBuf;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The text messages a connection wrote to an {@link EmbeddedChannel} without a frame encoder, in
 * order, whichever way each was written: a {@code TextWebSocketFrame} (for the extension's encoders),
 * or a frame's bytes framed by the server itself, which are read back through Netty's client-side
 * frame decoder, so bytes that are not exactly one final, unmasked text frame fail.
 */
public final class OutboundFrames {
    private OutboundFrames() {
    }

    /** Reads (and releases) every outbound message of {@code channel}. */
    public static List<String> texts(EmbeddedChannel channel) {
        List<String> texts = new ArrayList<>();
        Object written;
        while ((written = channel.readOutbound()) != null) {
            try {
                if (written instanceof TextWebSocketFrame frame) {
                    texts.add(frame.text());
                } else if (written instanceof ByteBuf bytes) {
                    texts.add(decodeOneTextFrame(bytes.retainedDuplicate()));
                } else {
                    throw new AssertionError("not a text message: " + written);
                }
            } finally {
                ReferenceCountUtil.release(written);
            }
        }
        return texts;
    }

    private static String decodeOneTextFrame(ByteBuf frameBytes) {
        EmbeddedChannel client = new EmbeddedChannel(new WebSocket13FrameDecoder(WebSocketDecoderConfig.newBuilder()
                .expectMaskedFrames(false).allowMaskMismatch(false).maxFramePayloadLength(1 << 24).build()));
        try {
            client.writeInbound(frameBytes);
            Object decoded = client.readInbound();
            if (!(decoded instanceof TextWebSocketFrame frame) || !frame.isFinalFragment()) {
                ReferenceCountUtil.release(decoded);
                throw new AssertionError("not one final text frame: " + decoded);
            }
            String text = frame.content().toString(StandardCharsets.UTF_8);
            frame.release();
            if (client.readInbound() != null) {
                throw new AssertionError("more than one frame in one write");
            }
            return text;
        } finally {
            client.finishAndReleaseAll();
        }
    }
}
