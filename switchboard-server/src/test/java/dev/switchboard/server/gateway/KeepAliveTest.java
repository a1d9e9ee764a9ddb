package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * One sweep per event loop watches all of the loop's connections: connections join and leave its list
 * in any order, each is checked once per sweep, and a loop left without connections has no timer.
 * Several endpoint handlers share one embedded channel (so one loop) here; the clock is moved by the test.
 */
class KeepAliveTest {
    private final KeepAlive keepAlive = new KeepAlive(100, 300);
    private final EmbeddedChannel channel = new EmbeddedChannel();

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    @Test
    void sweepPeriod_isATenthOfTheInterval_atMostOneSecond() {
        assertThat(keepAlive.sweepPeriodNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(10));
        assertThat(new KeepAlive(30_000, 90_000).sweepPeriodNanos()).isEqualTo(TimeUnit.SECONDS.toNanos(1));
        assertThat(new KeepAlive(5, 15).sweepPeriodNanos()).isEqualTo(TimeUnit.MILLISECONDS.toNanos(1));
    }

    @Test
    void everyWatchedConnection_isChecked_untilItLeaves_andAnEmptyLoopHasNoTimer() {
        channel.freezeTime();
        CountingEndpoint first = new CountingEndpoint(keepAlive);
        CountingEndpoint middle = new CountingEndpoint(keepAlive);
        CountingEndpoint last = new CountingEndpoint(keepAlive);
        channel.pipeline().addLast(first, middle, last);
        first.upgraded();
        middle.upgraded();
        last.upgraded();

        advance(100);
        assertThat(pingsWritten()).as("each of the three is pinged once").isEqualTo(3);

        channel.pipeline().remove(middle); // leaves from the middle of the list
        advance(100);
        assertThat(pingsWritten()).isEqualTo(2);
        assertThat(middle.sweeps).as("not checked after it left").isEqualTo(first.sweeps - 10);

        channel.pipeline().remove(first);
        channel.pipeline().remove(last);
        assertThat(channel.runScheduledPendingTasks()).as("no scheduled task is left on the loop").isEqualTo(-1);
    }

    private void advance(long millis) {
        for (long step = 0; step < millis; step += 10) { // one sweep period at a time, as a real loop runs them
            channel.advanceTimeBy(10, TimeUnit.MILLISECONDS);
            channel.runScheduledPendingTasks();
        }
        channel.runPendingTasks();
    }

    private int pingsWritten() {
        int pings = 0;
        for (Object written; (written = channel.readOutbound()) != null; ) {
            if (written instanceof PingWebSocketFrame) {
                pings++;
            }
            ReferenceCountUtil.release(written);
        }
        return pings;
    }

    /** Counts the sweeps that reached it. */
    private static final class CountingEndpoint extends WebSocketEndpointHandler {
        int sweeps;

        CountingEndpoint(KeepAlive keepAlive) {
            super(keepAlive, 1024);
        }

        @Override
        protected void onKeepAliveSweep(long wallClockMillis) {
            sweeps++;
        }

        @Override
        protected void onText(ChannelHandlerContext ctx, ByteBuf utf8) {
        }

        @Override
        protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
        }
    }
}
