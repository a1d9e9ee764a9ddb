package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.CloseCodes;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.ReferenceCountUtil;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HeartbeatHandlerTest {
    private final EmbeddedChannel channel = new EmbeddedChannel(new HeartbeatHandler(100, 300));

    @AfterEach
    void releaseEverything() {
        channel.finishAndReleaseAll();
    }

    @Test
    void readerIdle_sendsPing_whenFirstIdlePeriod() {
        fire(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);

        assertPingWritten();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void readerIdle_sendsSecondPing_whenSilenceBelowTimeout() {
        fire(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertPingWritten();

        fire(IdleStateEvent.READER_IDLE_STATE_EVENT);

        assertPingWritten();
        assertThat(channel.isOpen()).isTrue();
    }

    @Test
    void readerIdle_closesWith4002_whenSilenceReachesTimeout() {
        fire(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertPingWritten();
        fire(IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertPingWritten();

        fire(IdleStateEvent.READER_IDLE_STATE_EVENT);

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
    void readerIdle_restartsCount_whenFirstEventFollowsActivity() {
        fire(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertPingWritten();
        fire(IdleStateEvent.READER_IDLE_STATE_EVENT);
        assertPingWritten();

        // Inbound traffic resets IdleStateHandler, whose next event is a FIRST one again.
        fire(IdleStateEvent.FIRST_READER_IDLE_STATE_EVENT);
        assertPingWritten();
        fire(IdleStateEvent.READER_IDLE_STATE_EVENT);

        assertPingWritten();
        assertThat(channel.isOpen()).as("two idle periods after activity are below the timeout").isTrue();
    }

    @Test
    void writerIdle_writesNothing_whenNotReaderIdle() {
        fire(IdleStateEvent.FIRST_WRITER_IDLE_STATE_EVENT);
        fire(IdleStateEvent.FIRST_ALL_IDLE_STATE_EVENT);

        assertThat((Object) channel.readOutbound()).isNull();
        assertThat(channel.isOpen()).isTrue();
    }

    private void fire(IdleStateEvent event) {
        channel.pipeline().fireUserEventTriggered(event);
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
