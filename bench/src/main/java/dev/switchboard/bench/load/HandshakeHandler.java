package dev.switchboard.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One connection of the {@link HandshakeClient}: sends the upgrade request once connected, checks the
 * server's answer, then reads frames until the welcome, answering any frame the dialect answers
 * (Socket.IO's open). Reads bytes in place; nothing is decoded that the check does not need.
 */
final class HandshakeHandler extends ByteToMessageDecoder {
    /** Longest answer header accepted: the servers under test send a few hundred bytes. */
    private static final int MAX_HEADER_BYTES = 8192;
    private static final byte[] SWITCHING_PROTOCOLS = Frames.ascii("HTTP/1.1 101 ");
    private static final byte[] ACCEPT_HEADER = Frames.ascii("\r\nsec-websocket-accept:");
    private static final byte[] END_OF_HEADER = Frames.ascii("\r\n\r\n");
    /** Longest frame accepted before the welcome (the welcome itself is a few hundred bytes). */
    private static final int MAX_FRAME_BYTES = 65536;
    /** From connected to welcomed: past it the handshake fails and its connection is closed. */
    static final long TIMEOUT_SECONDS = 30;
    private static final int OPCODE_TEXT = 0x1;
    private static final int OPCODE_CLOSE = 0x8;

    /** The request, shared by the user's connections: each writes its own duplicate. */
    private final ByteBuf request;
    private final byte[] expectedAccept;
    private final Dialect dialect;
    private final CompletableFuture<Channel> welcomed;
    private boolean upgraded;
    private ScheduledFuture<?> timeout;

    HandshakeHandler(ByteBuf request, byte[] expectedAccept, Dialect dialect, CompletableFuture<Channel> welcomed) {
        this.request = request;
        this.expectedAccept = expectedAccept;
        this.dialect = dialect;
        this.welcomed = welcomed;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        timeout = ctx.executor().schedule(() -> fail(ctx, "no welcome in " + TIMEOUT_SECONDS + " s"), // cancelled once done
                TIMEOUT_SECONDS, TimeUnit.SECONDS);
        ctx.writeAndFlush(request.retainedDuplicate(), ctx.voidPromise());
        super.channelActive(ctx);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (welcomed.isDone()) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (!upgraded) {
            int end = Frames.indexOf(in, in.readerIndex(), in.writerIndex(), END_OF_HEADER, false);
            if (end < 0) {
                if (in.readableBytes() > MAX_HEADER_BYTES) {
                    fail(ctx, "no end of the answer's header in " + MAX_HEADER_BYTES + " bytes");
                }
                return;
            }
            String problem = checkAnswer(in, end + 2); // the last header line's CRLF is part of the header
            if (problem != null) {
                fail(ctx, problem);
                return;
            }
            in.readerIndex(end + END_OF_HEADER.length);
            upgraded = true;
        }
        while (!welcomed.isDone() && readFrame(ctx, in)) {
            // every whole frame in this read, until the welcome
        }
    }

    /** Why the answer in {@code in} up to {@code headerEnd} does not accept the upgrade, or null. */
    private String checkAnswer(ByteBuf in, int headerEnd) {
        if (!Frames.startsWith(in, SWITCHING_PROTOCOLS)) {
            int lineEnd = Frames.indexOf(in, in.readerIndex(), headerEnd, Frames.ascii("\r\n"), false);
            return "upgrade refused: " + in.toString(in.readerIndex(), lineEnd - in.readerIndex(), StandardCharsets.US_ASCII);
        }
        int header = Frames.indexOf(in, in.readerIndex(), headerEnd, ACCEPT_HEADER, true);
        if (header < 0) {
            return "no Sec-WebSocket-Accept in the answer";
        }
        int value = header + ACCEPT_HEADER.length;
        while (value < headerEnd && in.getByte(value) == ' ') {
            value++;
        }
        if (headerEnd - value < expectedAccept.length) {
            return "wrong Sec-WebSocket-Accept";
        }
        for (int i = 0; i < expectedAccept.length; i++) {
            if (in.getByte(value + i) != expectedAccept[i]) {
                return "wrong Sec-WebSocket-Accept";
            }
        }
        int after = value + expectedAccept.length;
        while (after < headerEnd && in.getByte(after) == ' ') {
            after++;
        }
        return in.getByte(after) == '\r' ? null : "wrong Sec-WebSocket-Accept";
    }

    /** Handles one whole server frame at the reader index; false when more bytes are needed. */
    private boolean readFrame(ChannelHandlerContext ctx, ByteBuf in) {
        int start = in.readerIndex();
        if (in.readableBytes() < 2) {
            return false;
        }
        int first = in.getUnsignedByte(start);
        int second = in.getUnsignedByte(start + 1);
        if ((second & 0x80) != 0) {
            fail(ctx, "masked frame from the server");
            return false;
        }
        if ((first & 0x70) != 0) {
            fail(ctx, "reserved bits set in a frame (no extension was offered)");
            return false;
        }
        if ((first & 0x80) == 0) {
            fail(ctx, "fragmented frame before the welcome");
            return false;
        }
        int headerLength = 2;
        long length = second & 0x7f;
        if (length == 126) {
            headerLength = 4;
            if (in.readableBytes() < headerLength) {
                return false;
            }
            length = in.getUnsignedShort(start + 2);
        } else if (length == 127) {
            headerLength = 10;
            if (in.readableBytes() < headerLength) {
                return false;
            }
            length = in.getLong(start + 2);
        }
        if (length > MAX_FRAME_BYTES || length < 0) {
            fail(ctx, "frame of " + length + " bytes before the welcome");
            return false;
        }
        if (in.readableBytes() < headerLength + length) {
            return false;
        }
        ByteBuf payload = in.slice(start + headerLength, (int) length);
        in.readerIndex(start + headerLength + (int) length);
        int opcode = first & 0x0f;
        if (opcode == OPCODE_CLOSE) {
            int code = length >= 2 ? payload.getUnsignedShort(payload.readerIndex()) : -1;
            fail(ctx, "closed before welcome (close code " + code + ")");
            return false;
        }
        if (opcode == OPCODE_TEXT) {
            String reply = dialect.reply(payload);
            if (reply != null) {
                ctx.writeAndFlush(maskedText(ctx, reply), ctx.voidPromise());
            } else if (dialect.classify(payload) == Inbound.WELCOME) {
                cancelTimeout();
                welcomed.complete(ctx.channel());
            }
        }
        return true; // pings and anything else before the welcome: not this scenario's business
    }

    /** A client's text frame: masked, as RFC 6455 requires of every frame a client sends. */
    private static ByteBuf maskedText(ChannelHandlerContext ctx, String text) {
        byte[] payload = text.getBytes(StandardCharsets.UTF_8);
        if (payload.length > 125) {
            throw new IllegalArgumentException("a handshake reply longer than 125 bytes: " + text);
        }
        int mask = ThreadLocalRandom.current().nextInt();
        ByteBuf frame = ctx.alloc().buffer(6 + payload.length);
        frame.writeByte(0x80 | OPCODE_TEXT).writeByte(0x80 | payload.length).writeInt(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.writeByte(payload[i] ^ (mask >>> (8 * (3 - (i & 3)))));
        }
        return frame;
    }

    private void fail(ChannelHandlerContext ctx, String problem) {
        if (!welcomed.isDone()) {
            cancelTimeout();
            welcomed.completeExceptionally(new IllegalStateException(problem));
        }
        ctx.close();
    }

    private void cancelTimeout() {
        if (timeout != null) {
            timeout.cancel(false);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        // Every handshake ends here (the caller's reset): an exception, and its stack trace, only for one that failed.
        if (!welcomed.isDone()) {
            cancelTimeout();
            welcomed.completeExceptionally(new IllegalStateException("connection ended before welcome"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (!welcomed.isDone()) {
            cancelTimeout();
            welcomed.completeExceptionally(cause);
        }
        ctx.close();
    }
}
