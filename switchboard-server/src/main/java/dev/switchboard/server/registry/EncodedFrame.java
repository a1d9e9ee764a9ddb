package dev.switchboard.server.registry;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;

/**
 * Any WebSocket frame encoded as a server sends it (RFC 6455 §5.2: unmasked): the bytes Netty's
 * version-13 frame encoder writes for it. A connection without extensions has no frame encoder in its
 * pipeline (the gateway's {@code WebSocketEndpointHandler} encodes the frames written to it here), and
 * {@link EncodedTextFrame} frames the text messages that make nearly all of its traffic.
 *
 * @implNote Why not Netty's encoder: on an idle connection its pipeline context and instance are 88 of
 * the roughly 1,900 bytes the connection holds (docs/BENCHMARKS.md, memory per idle connection), for
 * the few frames that are not already framed text (pings, pongs, close frames, the echo endpoint's
 * messages).
 */
public final class EncodedFrame {
    private static final int FINAL = 0x80;
    private static final int MAX_ONE_BYTE_LENGTH = 125;
    private static final int TWO_BYTE_LENGTH = 126;
    private static final int EIGHT_BYTE_LENGTH = 127;
    /** Payloads longer than this are not copied: the header and the payload go out as one composite buffer. */
    private static final int COPY_THRESHOLD = 1024;

    private EncodedFrame() {
    }

    /**
     * {@code frame} encoded; takes ownership of {@code frame} (released here, also on failure) and
     * gives the caller the returned buffer.
     *
     * @throws IllegalArgumentException for a control frame (close, ping, pong) whose payload is over
     *                                  125 bytes, which no endpoint may send (RFC 6455 §5.5)
     */
    public static ByteBuf encode(ByteBufAllocator allocator, WebSocketFrame frame) {
        try {
            ByteBuf payload = frame.content();
            int length = payload.readableBytes();
            int opcode = opcode(frame);
            if (opcode >= 8 && length > MAX_ONE_BYTE_LENGTH) {
                throw new IllegalArgumentException("a control frame's payload is at most 125 bytes, was " + length);
            }
            int firstByte = (frame.isFinalFragment() ? FINAL : 0) | (frame.rsv() & 0x7) << 4 | opcode;
            if (length <= COPY_THRESHOLD) {
                return withHeader(allocator, firstByte, length, length).writeBytes(payload, payload.readerIndex(), length);
            }
            ByteBuf header = withHeader(allocator, firstByte, length, 0);
            return allocator.compositeDirectBuffer(2).addComponents(true, header, payload.retainedSlice());
        } finally {
            frame.release();
        }
    }

    /**
     * A direct buffer holding a frame's header, with room for {@code payloadCapacity} more bytes; the
     * caller owns it and writes the payload's {@code length} bytes after the header (or sends them after it).
     */
    static ByteBuf withHeader(ByteBufAllocator allocator, int firstByte, int length, int payloadCapacity) {
        int headerBytes = length <= MAX_ONE_BYTE_LENGTH ? 2 : length <= 0xFFFF ? 4 : 10;
        ByteBuf frame = allocator.directBuffer(headerBytes + payloadCapacity);
        frame.writeByte(firstByte);
        if (length <= MAX_ONE_BYTE_LENGTH) {
            frame.writeByte(length);
        } else if (length <= 0xFFFF) {
            frame.writeByte(TWO_BYTE_LENGTH);
            frame.writeShort(length);
        } else {
            frame.writeByte(EIGHT_BYTE_LENGTH);
            frame.writeLong(length);
        }
        return frame;
    }

    private static int opcode(WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame) {
            return 0x1;
        } else if (frame instanceof BinaryWebSocketFrame) {
            return 0x2;
        } else if (frame instanceof ContinuationWebSocketFrame) {
            return 0x0;
        } else if (frame instanceof CloseWebSocketFrame) {
            return 0x8;
        } else if (frame instanceof PingWebSocketFrame) {
            return 0x9;
        } else if (frame instanceof PongWebSocketFrame) {
            return 0xA;
        }
        throw new IllegalArgumentException("not a frame type of RFC 6455: " + frame.getClass().getName());
    }
}
