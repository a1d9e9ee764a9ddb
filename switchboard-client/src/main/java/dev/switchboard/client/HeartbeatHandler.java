package dev.switchboard.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ScheduledFuture;

/**
 * Detects a dead server (docs/PROTOCOL.md section 8). Placed first in the pipeline, it sees every inbound
 * read, including WebSocket ping frames the protocol handler answers by itself, so any traffic counts as
 * liveness. After {@code pingInterval} without traffic it asks for an application {@code ping} (repeated
 * every interval); after {@code pingTimeout} without traffic it reports the connection dead.
 *
 * <p>One timer per channel that wakes up only when a deadline can have passed, rather than
 * {@code IdleStateHandler}, whose fixed period would detect a 60 s timeout only at the next multiple of
 * the 25 s interval. Runs on the channel's event loop; the callbacks do too.
 */
final class HeartbeatHandler extends ChannelInboundHandlerAdapter {
    private final long intervalNanos;
    private final long timeoutNanos;
    private final Runnable sendPing;
    private final Runnable onDead;
    private long lastReadNanos;
    private long lastPingNanos;
    private ScheduledFuture<?> timer;

    /**
     * @param sendPing called when a ping is due; may do nothing (e.g. before {@code welcome})
     * @param onDead   called once when nothing was received for {@code pingTimeout}; must close the channel
     */
    HeartbeatHandler(Duration pingInterval, Duration pingTimeout, Runnable sendPing, Runnable onDead) {
        this.intervalNanos = pingInterval.toNanos();
        this.timeoutNanos = pingTimeout.toNanos();
        this.sendPing = sendPing;
        this.onDead = onDead;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        lastReadNanos = System.nanoTime();
        lastPingNanos = lastReadNanos;
        schedule(ctx, Math.min(intervalNanos, timeoutNanos));
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws Exception {
        lastReadNanos = System.nanoTime();
        ctx.fireChannelRead(msg);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cancel();
        super.channelInactive(ctx);
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        cancel();
    }

    private void check(ChannelHandlerContext ctx) {
        timer = null;
        if (!ctx.channel().isActive()) {
            return;
        }
        long now = System.nanoTime();
        if (now - lastReadNanos >= timeoutNanos) {
            onDead.run();
            return;
        }
        long quietSince = Math.max(lastReadNanos, lastPingNanos);
        if (now - quietSince >= intervalNanos) {
            sendPing.run();
            lastPingNanos = now;
            quietSince = now;
        }
        long nextPing = quietSince + intervalNanos;
        long deadline = lastReadNanos + timeoutNanos;
        schedule(ctx, Math.min(nextPing, deadline) - now);
    }

    private void schedule(ChannelHandlerContext ctx, long delayNanos) {
        long delay = Math.max(delayNanos, TimeUnit.MILLISECONDS.toNanos(1));
        timer = ctx.executor().schedule(() -> check(ctx), delay, TimeUnit.NANOSECONDS);
    }

    private void cancel() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }
}
