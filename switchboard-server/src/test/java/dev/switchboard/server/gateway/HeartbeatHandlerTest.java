package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.CloseCodes;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Keep-alive on an embedded channel whose clock the test moves (no waiting, no real time). */
class HeartbeatHandlerTest {
    private EmbeddedChannel channel;

    @BeforeEach
    void openChannel() {
        channel = new EmbeddedChannel();
        channel.freezeTime();
        channel.pipeline().addLast(new HeartbeatHandler(100, 300));
    }

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void silence_sendsPing_afterOneInterval() {
        advance(99);
        assertThat((Object) channel.readOutbound()).isNull();

        advance(1);

        assertPingWritten();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void silence_sendsAPingEveryInterval_belowTheTimeout() {
        advance(100);
        assertPingWritten();

        advance(100);

        assertPingWritten();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void silence_closesWith4002_whenItReachesTheTimeout() {
        advance(100);
        assertPingWritten();
        advance(100);
        assertPingWritten();

        advance(100);

        Object written = channel.readOutbound();
        try {
            assertThat(written).isInstanceOf(CloseWebSocketFrame.class);
            assertThat(((CloseWebSocketFrame) written).statusCode()).isEqualTo(CloseCodes.HEARTBEAT_TIMEOUT).isEqualTo(4002);
        } finally {
            ReferenceCountUtil.release(written);
        }
        assertThat(channel.isOpen()).as("channel closed after the close frame was written").isFalse();
    }

    @Test
    void inboundTraffic_restartsTheCount() {
        advance(100);
        assertPingWritten();
        advance(100);
        assertPingWritten();

        channel.writeInbound(Unpooled.wrappedBuffer(new byte[] {1})); // the pong, say
        ReferenceCountUtil.release(channel.readInbound());
        advance(100);
        assertPingWritten();
        advance(100);

        assertPingWritten();
        assertThat(channel.isOpen()).as("two idle intervals after activity are below the timeout").isTrue();
    }

    @Test
    void closedChannel_hasNoTimerLeft() {
        channel.close();

        advance(1_000);

        assertThat((Object) channel.readOutbound()).isNull();
    }

    private void advance(long millis) {
        channel.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        channel.runScheduledPendingTasks();
        channel.runPendingTasks();
    }

    private void assertPingWritten() {
        Object written = channel.readOutbound();
        try {
            assertThat(written).isInstanceOf(PingWebSocketFrame.class);
        } finally {
            ReferenceCountUtil.release(written);
        }
    }
}
