package dev.switchboard.server.registry;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;

/**
 * A text message encoded as one complete, final, unmasked server-to-client WebSocket frame (RFC 6455
 * §5.2): the bytes Netty's frame encoder would write for a {@code TextWebSocketFrame}. Connections
 * without extensions have no frame encoder; other frames written to them are encoded by
 * {@link EncodedFrame}.
 *
 * @implNote Every text message to a connection without extensions is framed here
 * ({@link Connection#write(ByteBuf)}), in one buffer of the frame's size. For fan-out it matters most:
 * a topic publication goes to every subscriber unchanged, so it is framed once per event loop and each
 * subscriber is written a duplicate of the same bytes; through Netty's encoder every subscriber would
 * cost a frame object, a buffer allocation and a copy of the payload (about a sixth of the event
 * loops' time in a 1 × 1,000 fan-out profile). A connection that negotiated permessage-deflate cannot
 * take these bytes (its frames are compressed per connection); see
 * {@link Connection#writeShared(byte[], ByteBuf)}.
 */
public final class EncodedTextFrame {
    /** FIN set, no reserved bits, opcode 1 (text). */
    private static final int FINAL_TEXT = 0x81;

    private EncodedTextFrame() {
    }

    /** {@code utf8} framed; the caller owns (and releases) the returned buffer. */
    public static ByteBuf encode(ByteBufAllocator allocator, byte[] utf8) {
        return withHeader(allocator, utf8.length).writeBytes(utf8);
    }

    /** The concatenation of {@code utf8Parts} framed as one message; the caller owns the returned buffer. */
    public static ByteBuf encode(ByteBufAllocator allocator, byte[]... utf8Parts) {
        int length = 0;
        for (byte[] part : utf8Parts) {
            length += part.length;
        }
        ByteBuf frame = withHeader(allocator, length);
        for (byte[] part : utf8Parts) {
            frame.writeBytes(part);
        }
        return frame;
    }

    /** {@code utf8}'s readable bytes framed (its indexes unchanged); the caller owns the returned buffer. */
    public static ByteBuf encode(ByteBufAllocator allocator, ByteBuf utf8) {
        return withHeader(allocator, utf8.readableBytes()).writeBytes(utf8, utf8.readerIndex(), utf8.readableBytes());
    }

    /** A direct buffer of exactly the frame's size holding its header; the caller writes the payload's {@code length} bytes. */
    private static ByteBuf withHeader(ByteBufAllocator allocator, int length) {
        return EncodedFrame.withHeader(allocator, FINAL_TEXT, length, length);
    }
}
