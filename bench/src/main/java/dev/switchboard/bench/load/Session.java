package dev.switchboard.bench.load;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import java.util.concurrent.CompletableFuture;

/**
 * One load-generator WebSocket session: completes {@link #welcomed} when the server accepted it,
 * answers protocol-level frames, and hands every inbound frame's kind and embedded timestamp to its
 * {@link Listener} on the channel's event loop.
 */
public final class Session extends SimpleChannelInboundHandler<WebSocketFrame> {

    /** Inbound traffic of a session; called on its event loop. */
    public interface Listener {
        void onFrame(Session session, Inbound kind, long timestampNanos);
    }

    private final String user;
    private final Dialect dialect;
    /** Read the send time of every this many messages; 0 for none. */
    private final int timestampEvery;
    /** Messages until the next whose send time is read. */
    private int untilTimestamp;
    private final boolean receive;
    private final CompletableFuture<Session> welcomed = new CompletableFuture<>();
    private volatile Listener listener = (session, kind, timestamp) -> { };
    private volatile Channel channel;
    private int closeCode = -1;
    private boolean flushAfterRead;

    Session(String user, Dialect dialect, int timestampEvery, boolean receive) {
        this.user = user;
        this.dialect = dialect;
        this.timestampEvery = timestampEvery;
        this.receive = receive;
    }

    public String user() {
        return user;
    }

    public CompletableFuture<Session> welcomed() {
        return welcomed;
    }

    public void listen(Listener listener) {
        this.listener = listener;
    }

    public Channel channel() {
        return channel;
    }

    /** The close code the server sent, or -1. */
    public int closeCode() {
        return closeCode;
    }

    public void send(String text) {
        channel.writeAndFlush(new TextWebSocketFrame(text), channel.voidPromise());
    }

    /** Writes without flushing; {@link #flush} sends everything written. */
    public void write(String text) {
        channel.write(new TextWebSocketFrame(text), channel.voidPromise());
    }

    public void flush() {
        channel.flush();
    }

    /**
     * On the session's event loop, from a {@link Listener}: writes now and flushes once the current read
     * is handled, so the answers to frames that arrived together leave in one system call, as a client
     * that pipelines its requests sends them.
     */
    public void sendAfterRead(String text) {
        channel.write(new TextWebSocketFrame(text), channel.voidPromise());
        flushAfterRead = true;
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
        if (flushAfterRead) {
            flushAfterRead = false;
            ctx.flush();
        }
        super.channelReadComplete(ctx);
    }

    public boolean isWritable() {
        return channel.isWritable();
    }

    public void close() {
        Channel current = channel;
        if (current != null && current.isActive()) {
            current.writeAndFlush(new CloseWebSocketFrame(1000, "bye")).addListener(future -> current.close());
        }
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        channel = ctx.channel();
        super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof CloseWebSocketFrame close) {
            closeCode = close.statusCode();
            return;
        }
        if (!(frame instanceof TextWebSocketFrame)) {
            return;
        }
        ByteBuf text = frame.content();
        String reply = dialect.reply(text);
        if (reply != null) {
            send(reply);
            return;
        }
        Inbound kind = dialect.classify(text);
        if (kind == Inbound.WELCOME && !welcomed.isDone()) {
            String after = receive ? dialect.afterWelcome() : null;
            if (after != null) {
                send(after);
            }
            welcomed.complete(this);
            return;
        }
        long timestamp = -1;
        if (timestampEvery > 0 && (kind == Inbound.MESSAGE || kind == Inbound.PUBLICATION) && --untilTimestamp <= 0) {
            untilTimestamp = timestampEvery; // only the sampled frames are searched: the search is per byte
            timestamp = Frames.timestamp(text);
        }
        listener.onFrame(this, kind, timestamp);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (!welcomed.isDone()) { // an exception (and its stack trace) only where someone will see it
            welcomed.completeExceptionally(new IllegalStateException("closed before welcome (close code " + closeCode + ")"));
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        welcomed.completeExceptionally(cause);
        ctx.close();
    }
}
