package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.registry.CloseFrames;
import dev.switchboard.server.registry.ClosedBy;
import dev.switchboard.server.registry.EncodedFrame;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.ContinuationWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PongWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * The one handler behind Netty's WebSocket frame decoder on an upgraded connection. It does the
 * protocol's own work and hands whole messages to its subclass:
 * <ul>
 *   <li>on a connection without extensions, encodes every frame written to it ({@link EncodedFrame}): such a
 *       connection has no frame encoder; with permessage-deflate, frames go on to the extension's encoder
 *       and Netty's frame encoder;</li>
 *   <li>closes with the decoder's status (1002; 1007 for a bad close frame body; 1009 for a frame over
 *       the size limit) when a frame breaks the protocol: the decoder is set not to close itself, as its
 *       close frame would not pass through this handler;</li>
 *   <li>closes with 1002 on a frame with a reserved bit that no negotiated extension used (with
 *       permessage-deflate: RSV2, RSV3, or RSV1 on a control frame); after a close frame of its own,
 *       such a frame ends the connection at once;</li>
 *   <li>answers a ping with a pong carrying the same payload, drops pongs;</li>
 *   <li>answers a close with the same close frame, then closes the connection;</li>
 *   <li>reassembles a fragmented message (pings may come between its fragments) and closes with 1009
 *       once the message grows past {@code limits.maxMessageBytes};</li>
 *   <li>closes with 1007 when a text message is not well-formed UTF-8 (RFC 3629: no overlong forms,
 *       no surrogates);</li>
 *   <li>writes nothing after a close frame, whoever wrote it, and closes the connection once the close
 *       frame is out, or {@value #FORCED_CLOSE_MILLIS} ms after it was written if the client does not
 *       read it;</li>
 *   <li>consolidates flushes: the flushes of a read (replies to pipelined requests) go out at its end;
 *       outside a read (deliveries, fan-out, acks from the store) the first flush schedules one on the
 *       event loop, so every frame written to this connection before that task runs leaves in one
 *       syscall. At most {@value #MAX_PENDING_FLUSHES} flushes are held back;</li>
 *   <li>keep-alive (R4), driven by its loop's {@link KeepAlive} sweep: pings a connection that has sent
 *       nothing for the ping interval and closes it with 4002 once the silence reaches the timeout. Any
 *       inbound frame counts as liveness. Pings follow reader idleness, not writer idleness: a client that
 *       only receives (a busy topic) would otherwise never be pinged, never answer, and be closed as
 *       silent.</li>
 * </ul>
 * Frame-level violations (reserved bits, bad opcodes, oversized single frames, bad close codes) are
 * found by Netty's decoder, which raises them as {@link CorruptedWebSocketFrameException}s and drops
 * whatever the client sends after; the subclass's {@code exceptionCaught} closes with their status
 * ({@link WebSocketErrors}).
 *
 * @implNote Memory per idle connection is a published figure (docs/BENCHMARKS.md). Netty's handlers for
 * the same jobs ({@code WebSocketServerProtocolHandler} with its handshaker kept in a channel attribute,
 * {@code Utf8FrameValidator}, {@code WebSocketFrameAggregator}, {@code FlushConsolidationHandler}) plus a
 * keep-alive handler cost an idle connection six pipeline contexts, nine objects and a timer (about 700
 * bytes), and Netty's frame encoder another context and instance (88 bytes); this handler is one context
 * and a few fields, and the keep-alive is a sweep per loop. UTF-8 is checked once per whole message with {@link ByteBufUtil#isText}, which
 * gives up incremental fail-fast on fragments (a permitted, non-strict behaviour).
 */
abstract class WebSocketEndpointHandler extends ChannelDuplexHandler {
    /** Fragments kept as components before the composite buffer consolidates them (bounds tiny-fragment abuse). */
    private static final int MAX_FRAGMENT_COMPONENTS = 64;
    /** Flushes held back before one is forced (bounds what a long read or a burst keeps unflushed). */
    static final int MAX_PENDING_FLUSHES = 256;
    /**
     * How long a close frame may take to go out before the connection is closed without it: a client
     * that has stopped reading would otherwise hold the socket (and the keep-alive stops at a close).
     */
    static final long FORCED_CLOSE_MILLIS = 2000;
    /** Set in {@link #firstClose} when the client closed first; close codes stay below it (at most 4999). */
    private static final char CLOSED_BY_CLIENT = 0x8000;

    private final KeepAlive keepAlive;
    private final int maxMessageBytes;
    private ChannelHandlerContext context;
    private long lastReadNanos;
    /** Pings sent since the last inbound frame. */
    private int pingsSent;
    /** The links of this loop's {@link KeepAlive} list; touched only by it. */
    boolean keepAliveWatched;
    WebSocketEndpointHandler keepAlivePrevious;
    WebSocketEndpointHandler keepAliveNext;
    /** The fragmented message being reassembled, else null. */
    private CompositeByteBuf fragments;
    private boolean fragmentsAreText;
    /**
     * The connection's first close frame, sent or received: its status code (1005 for one without), plus
     * {@link #CLOSED_BY_CLIENT} when the client's came first; 0 while there has been none, so it is also
     * the "close frame sent" flag. One char, not a boolean and an int: memory per idle connection is a
     * published figure, and the int would have cost 8 bytes with alignment.
     */
    private char firstClose;
    /** No extensions: this handler encodes the frames written to it (there is no frame encoder). */
    private boolean encodesFrames;
    private boolean readInProgress;
    private boolean flushScheduled;
    private int pendingFlushes;

    protected WebSocketEndpointHandler(KeepAlive keepAlive, int maxMessageBytes) {
        this.keepAlive = keepAlive;
        this.maxMessageBytes = maxMessageBytes;
    }

    /** A whole text message, well-formed UTF-8. Released by the caller after this returns. */
    protected abstract void onText(ChannelHandlerContext ctx, ByteBuf utf8);

    /** A whole binary message. Released by the caller after this returns. */
    protected abstract void onBinary(ChannelHandlerContext ctx, ByteBuf content);

    /**
     * Called once, on the event loop, when the pipeline has switched to frames and the 101 is written but
     * not yet flushed: what this writes leaves in the same write as the 101.
     */
    protected void onUpgraded(ChannelHandlerContext ctx) {
    }

    /**
     * Called by each keep-alive sweep while the connection is open and not closing, after the keep-alive
     * check: where a subclass enforces its own deadlines. On the event loop.
     */
    protected void onKeepAliveSweep(long wallClockMillis) {
    }

    /**
     * Makes this handler encode every frame written through it; the upgrade calls this, before putting it
     * in the pipeline, when no extension was negotiated and so no frame encoder is added.
     */
    final void encodeFrames() {
        encodesFrames = true;
    }

    /** Whether the upgrade negotiated an extension: then Netty's frame encoder and the extension's coders follow this handler. */
    final boolean hasExtensions() {
        return !encodesFrames;
    }

    /**
     * Starts the keep-alive, lets the subclass begin and flushes (the 101 with what the subclass wrote); the
     * upgrade calls this on the loop once this handler is in the pipeline and the 101 is written.
     */
    final void upgraded() {
        lastReadNanos = ticker();
        keepAlive.add(this, context.executor());
        onUpgraded(context);
        pendingFlushes = 0; // a flush scheduled by onUpgraded's writes finds nothing left to do
        context.flush();
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        flushPending(ctx);
        stopKeepAlive();
        releaseFragments();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        stopKeepAlive();
        releaseFragments();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) {
        readInProgress = true;
        lastReadNanos = ticker();
        pingsSent = 0;
        if (!(message instanceof WebSocketFrame frame)) {
            ctx.fireChannelRead(message);
            return;
        }
        try {
            onFrame(ctx, frame);
        } finally {
            frame.release();
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        readInProgress = false;
        flushPending(ctx); // what the read's requests answered leaves together
        ctx.fireChannelReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (!ctx.channel().isWritable()) {
            flushPending(ctx); // the outbound buffer is full: holding back flushes now would only stall it
        }
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        if (++pendingFlushes >= MAX_PENDING_FLUSHES) {
            flushPending(ctx);
        } else if (!readInProgress && !flushScheduled) {
            flushScheduled = true;
            ctx.executor().execute(() -> {
                flushScheduled = false;
                flushPending(ctx);
            });
        }
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        flushPending(ctx);
        ctx.close(promise);
    }

    private void flushPending(ChannelHandlerContext ctx) {
        if (pendingFlushes > 0) {
            pendingFlushes = 0;
            ctx.flush();
        }
    }

    private void onFrame(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame.rsv() != 0) {
            // An extension's decoder clears the bit it uses (permessage-deflate: RSV1 on data frames), and
            // without an extension the frame decoder refuses any; so a bit left here is one nothing negotiated.
            if (firstClose == 0) {
                close(CloseCodes.PROTOCOL_ERROR, "reserved bits set that no extension uses");
            } else {
                endAfterOurClose(ctx); // a broken frame after our close, the client's answer included: nothing left to wait for
            }
            return;
        }
        if (frame instanceof PingWebSocketFrame) {
            if (firstClose == 0) {
                ctx.writeAndFlush(outbound(ctx, new PongWebSocketFrame(frame.content().retain())));
            }
        } else if (frame instanceof CloseWebSocketFrame) {
            if (firstClose != 0) {
                endAfterOurClose(ctx); // the client's answer to our close
            } else {
                closingHandshakeStarted(ctx, ((CloseWebSocketFrame) frame).statusCode(), true);
                ctx.writeAndFlush(outbound(ctx, new CloseWebSocketFrame(true, 0, frame.content().retain())))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        } else if (frame instanceof PongWebSocketFrame || firstClose != 0) {
            return; // a pong only proves liveness; data after a close is dropped
        } else if (frame instanceof ContinuationWebSocketFrame) {
            continueMessage(ctx, frame);
        } else if (!frame.isFinalFragment()) {
            releaseFragments(); // the decoder refuses a new message inside a fragmented one; belt and braces
            fragments = ctx.alloc().compositeBuffer(MAX_FRAGMENT_COMPONENTS);
            fragments.addComponent(true, frame.content().retain());
            fragmentsAreText = frame instanceof TextWebSocketFrame;
        } else {
            deliver(ctx, frame instanceof TextWebSocketFrame, frame.content());
        }
    }

    /**
     * Closes the connection once our close frame has been sent: a close written during this read (or
     * outside one, before the scheduled flush ran) may still be held back here, and is flushed first.
     */
    private void endAfterOurClose(ChannelHandlerContext ctx) {
        flushPending(ctx);
        ctx.close();
    }

    private void continueMessage(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (fragments == null) {
            return; // the decoder refuses a continuation outside a fragmented message
        }
        if ((long) fragments.readableBytes() + frame.content().readableBytes() > maxMessageBytes) {
            releaseFragments();
            close(CloseCodes.MESSAGE_TOO_BIG, "message too big");
            return;
        }
        fragments.addComponent(true, frame.content().retain());
        if (frame.isFinalFragment()) {
            CompositeByteBuf message = fragments;
            fragments = null;
            try {
                deliver(ctx, fragmentsAreText, message);
            } finally {
                message.release();
            }
        }
    }

    private void deliver(ChannelHandlerContext ctx, boolean text, ByteBuf content) {
        if (!text) {
            onBinary(ctx, content);
        } else if (ByteBufUtil.isText(content, StandardCharsets.UTF_8)) {
            onText(ctx, content);
        } else {
            close(CloseCodes.INVALID_PAYLOAD, "invalid UTF-8");
        }
    }

    /** Writes the close frame (through the whole pipeline, so it is the last frame) and closes once it is out. */
    protected final void close(int code, String reason) {
        context.channel().writeAndFlush(CloseFrames.of(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    /**
     * The status code of the connection's first close frame, whoever sent it; {@link CloseCodes#NO_STATUS}
     * (1005) for a client's close frame without one; {@link CloseCodes#ABNORMAL} (1006) when the connection
     * ended without a close frame (lost, or reset by the client).
     */
    protected final int closeCode() {
        return firstClose == 0 ? CloseCodes.ABNORMAL : firstClose & ~CLOSED_BY_CLIENT;
    }

    /** Who sent the connection's first close frame; {@link ClosedBy#NETWORK} when there was none. */
    protected final ClosedBy closedBy() {
        if (firstClose == 0) {
            return ClosedBy.NETWORK;
        }
        return (firstClose & CLOSED_BY_CLIENT) != 0 ? ClosedBy.CLIENT : ClosedBy.SERVER;
    }

    /** After a close frame nothing else may be sent (RFC 6455 §5.5.1): later writes fail and are released. */
    @Override
    public void write(ChannelHandlerContext ctx, Object message, ChannelPromise promise) {
        if (firstClose != 0) {
            ReferenceCountUtil.release(message);
            promise.tryFailure(new ClosedChannelException());
            return;
        }
        if (message instanceof CloseWebSocketFrame close) {
            closingHandshakeStarted(ctx, close.statusCode(), false);
        }
        ctx.write(message instanceof WebSocketFrame frame ? outbound(ctx, frame) : message, promise);
    }

    /** A close frame is being sent: nothing may follow it, and the connection ends within {@link #FORCED_CLOSE_MILLIS}. */
    private void closingHandshakeStarted(ChannelHandlerContext ctx, int status, boolean byClient) {
        int code = status & ~CLOSED_BY_CLIENT; // the decoder admits only 1000–4999, and so do our closes
        if (status < 0 || code == 0) {
            code = CloseCodes.NO_STATUS; // never 0 here: 0 means no close frame yet
        }
        firstClose = (char) (byClient ? code | CLOSED_BY_CLIENT : code);
        ScheduledFuture<?> forcedClose = ctx.executor().schedule(() -> {
            if (ctx.channel().isOpen()) {
                ctx.channel().close();
            }
        }, FORCED_CLOSE_MILLIS, TimeUnit.MILLISECONDS);
        // Dropped as soon as the connection ends: the task holds the whole channel, and under churn (thousands
        // of closes a second) waiting out the deadline kept thousands of closed channels alive.
        ctx.channel().closeFuture().addListener(closed -> forcedClose.cancel(false));
    }

    /** {@code frame} as this connection's next handler takes it: encoded here when there is no frame encoder. */
    private Object outbound(ChannelHandlerContext ctx, WebSocketFrame frame) {
        return encodesFrames ? EncodedFrame.encode(ctx.alloc(), frame) : frame;
    }

    /** One keep-alive check, from the loop's sweep: ping after each idle interval, close at the timeout. */
    final void checkKeepAlive(long nowNanos, long wallClockMillis) {
        if (!context.channel().isActive() || firstClose != 0) {
            return;
        }
        long idle = nowNanos - lastReadNanos;
        if (idle >= keepAlive.pingTimeoutNanos()) {
            close(CloseCodes.HEARTBEAT_TIMEOUT, "heartbeat timeout");
            return;
        }
        if (idle >= (pingsSent + 1L) * keepAlive.pingIntervalNanos()) {
            pingsSent++;
            context.channel().writeAndFlush(new PingWebSocketFrame());
        }
        onKeepAliveSweep(wallClockMillis);
    }

    private void stopKeepAlive() {
        keepAlive.remove(this, context.executor());
    }

    private void releaseFragments() {
        if (fragments != null) {
            fragments.release();
            fragments = null;
        }
    }

    private long ticker() {
        return context.executor().ticker().nanoTime();
    }
}
