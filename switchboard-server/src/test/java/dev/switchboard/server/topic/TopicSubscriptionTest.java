package dev.switchboard.server.topic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TopicSubscriptionTest {
    private static final ServerMetrics METRICS = new ServerMetrics();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private final Connection connection = new Connection(new dev.switchboard.server.registry.ConnectionIds(), new Principal("ann", "d", 0), channel, METRICS);
    private final TopicSubscription subscription = new TopicSubscription(connection, "t");

    @AfterEach
    void release() {
        channel.finishAndReleaseAll();
    }

    private static Publication publication(long offset) {
        return Publication.of("t", "e1", offset, null, Long.toString(offset));
    }

    private List<Long> writtenOffsets() {
        List<Long> offsets = new ArrayList<>();
        TextWebSocketFrame frame;
        while ((frame = channel.readOutbound()) != null) {
            String text = frame.content().toString(StandardCharsets.UTF_8);
            offsets.add(Long.parseLong(text.replaceAll(".*\"offset\":(\\d+).*", "$1")));
            frame.release();
        }
        return offsets;
    }

    @Test
    void goLive_writesRecoveredThenHeldBack_eachOffsetOnce_inOrder() {
        subscription.deliver(publication(4)); // arrives live while set-up reads the history
        subscription.deliver(publication(5));

        int written = subscription.goLive(new StreamPosition("e1", 2), List.of(publication(3), publication(4)));
        subscription.deliver(publication(6));

        assertThat(written).isEqualTo(3);
        assertThat(writtenOffsets()).containsExactly(3L, 4L, 5L, 6L);
        assertThat(subscription.overflowed()).isFalse();
    }

    @Test
    void deliver_reportsOverflow_whenMoreArriveDuringSetUpThanAreHeld() {
        for (long offset = 1; offset <= TopicSubscription.MAX_PENDING + 1; offset++) {
            subscription.deliver(publication(offset));
        }

        assertThat(subscription.overflowed()).isTrue();
        subscription.goLive(new StreamPosition("e1", 0), List.of());
        List<Long> offsets = writtenOffsets();
        assertThat(offsets).hasSize(TopicSubscription.MAX_PENDING).startsWith(2L); // the oldest was dropped
    }

    @Test
    void deliver_writesNothing_afterCancel() {
        subscription.goLive(new StreamPosition("e1", 0), List.of());
        subscription.cancel();

        subscription.deliver(publication(1));

        assertThat(writtenOffsets()).isEmpty();
    }
}
