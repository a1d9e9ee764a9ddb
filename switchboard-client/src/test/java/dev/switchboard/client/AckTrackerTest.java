package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class AckTrackerTest {
    private final EmbeddedChannel clock = new EmbeddedChannel();
    private final List<Long> sent = new ArrayList<>();

    @AfterEach
    void closeClock() {
        clock.finishAndReleaseAll();
    }

    @Test
    void onProcessed_sendsOneCumulativeAck_afterDelay() {
        AckTracker acks = connectedTracker(Duration.ofMillis(200), 64, 0);

        acks.onProcessed(1);
        acks.onProcessed(2);
        acks.onProcessed(3);
        assertThat(sent).as("held back until the delay passes").isEmpty();

        clock.advanceTimeBy(200, TimeUnit.MILLISECONDS);
        clock.runScheduledPendingTasks();

        assertThat(sent).containsExactly(3L);
    }

    @Test
    void onProcessed_acksAtOnce_whenBatchIsFull() {
        AckTracker acks = connectedTracker(Duration.ofSeconds(10), 3, 0);

        acks.onProcessed(1);
        acks.onProcessed(2);
        acks.onProcessed(3);

        assertThat(sent).containsExactly(3L);
    }

    @Test
    void onConnected_acksAtOnce_whenProcessedBeyondServerCursor() {
        AckTracker acks = connectedTracker(Duration.ofSeconds(10), 64, 0);
        acks.onProcessed(5);
        acks.onDisconnected();

        acks.onConnected(sent::add, 2);

        assertThat(sent).containsExactly(5L);
    }

    @Test
    void flush_sendsNothing_whenEverythingIsAcknowledged() {
        AckTracker acks = connectedTracker(Duration.ofSeconds(10), 64, 7);

        acks.flush();

        assertThat(sent).isEmpty();
    }

    @Test
    void onDisconnected_dropsTheTimer_soNothingIsSentWithoutConnection() {
        AckTracker acks = connectedTracker(Duration.ofMillis(200), 64, 0);
        acks.onProcessed(1);

        acks.onDisconnected();
        clock.advanceTimeBy(1, TimeUnit.SECONDS);
        clock.runScheduledPendingTasks();

        assertThat(sent).isEmpty();
    }

    private AckTracker connectedTracker(Duration delay, int batch, long cursor) {
        AckTracker acks = new AckTracker(clock.eventLoop(), delay, batch);
        acks.onConnected(sent::add, cursor);
        return acks;
    }
}
