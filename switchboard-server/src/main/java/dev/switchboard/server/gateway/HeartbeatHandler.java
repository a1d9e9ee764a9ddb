package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Server side of keep-alive (R4): pings a connection that has sent nothing for the ping interval,
 * and closes it with 4002 once the silence reaches the timeout. Any inbound bytes (data, pong,
 * close) count as liveness.
 *
 * @implNote One handler and one timer per connection, re-armed from the last read: this replaces an
 * {@code IdleStateHandler} plus a handler reacting to its events, which cost every idle connection
 * an extra pipeline context, handler and timer task (docs/BENCHMARKS.md, memory findings). Pings
 * follow reader idleness, not writer idleness: a client that only receives (a busy topic) would
 * otherwise never be pinged, never answer, and be closed as silent. Sits in front of the WebSocket
 * encoder, so it writes through the channel (tail of the pipeline).
 */
final class HeartbeatHandler extends ChannelInboundHandlerAdapter implements Runnable {
    private final long pingIntervalNanos;
    private final long pingTimeoutNanos;
    private ChannelHandlerContext context;
    private ScheduledFuture<?> check;
    private long lastReadNanos;

    HeartbeatHandler(long pingIntervalMillis, long pingTimeoutMillis) {
        this.pingIntervalNanos = TimeUnit.MILLISECONDS.toNanos(pingIntervalMillis);
        this.pingTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(pingTimeoutMillis);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        context = ctx;
        lastReadNanos = ticker(ctx);
        schedule(pingIntervalNanos);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
        lastReadNanos = ticker(ctx);
        ctx.fireChannelRead(message);
    }

    /** The timer: ping when idle for an interval, close at the timeout, else re-arm for the next due time. */
    @Override
    public void run() {
        if (!context.channel().isActive()) {
            return;
        }
        long idle = ticker(context) - lastReadNanos;
        if (idle >= pingTimeoutNanos) {
            context.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.HEARTBEAT_TIMEOUT, "heartbeat timeout"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (idle >= pingIntervalNanos) {
            context.channel().writeAndFlush(new PingWebSocketFrame());
            schedule(Math.min(pingIntervalNanos, pingTimeoutNanos - idle));
        } else {
            schedule(pingIntervalNanos - idle);
        }
    }

    private void schedule(long delayNanos) {
        check = context.executor().schedule(this, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (check != null) {
            check.cancel(false);
            check = null;
        }
    }

    private static long ticker(ChannelHandlerContext ctx) {
        return ctx.executor().ticker().nanoTime();
    }
}
