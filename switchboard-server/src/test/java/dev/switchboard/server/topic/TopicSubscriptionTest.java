package dev.switchboard.server.topic;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.EncodedTextFrame;
import dev.switchboard.server.testing.OutboundFrames;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
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
    private final Connection connection = new Connection(new dev.switchboard.server.registry.ConnectionIds(), new Principal("ann", "d", 0), channel, METRICS, false);
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
        for (String text : OutboundFrames.texts(channel)) {
            offsets.add(Long.parseLong(text.replaceAll(".*\"offset\":(\\d+).*", "$1")));
        }
        return offsets;
    }

    @Test
    void goLive_writesRecoveredThenHeldBack_eachOffsetOnce_inOrder() {
        subscription.deliver(publication(4), null); // arrives live while set-up reads the history
        subscription.deliver(publication(5), null);

        int written = subscription.goLive(new StreamPosition("e1", 2), List.of(publication(3), publication(4)));
        subscription.deliver(publication(6), null);

        assertThat(written).isEqualTo(3);
        assertThat(writtenOffsets()).containsExactly(3L, 4L, 5L, 6L);
        assertThat(subscription.overflowed()).isFalse();
    }

    @Test
    void deliver_reportsOverflow_whenMoreArriveDuringSetUpThanAreHeld() {
        for (long offset = 1; offset <= TopicSubscription.MAX_PENDING + 1; offset++) {
            subscription.deliver(publication(offset), null);
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

        subscription.deliver(publication(1), null);

        assertThat(writtenOffsets()).isEmpty();
    }

    @Test
    void deliver_writesADuplicateOfTheEncodedFrame_andLeavesTheOriginalToTheCaller() {
        subscription.goLive(new StreamPosition("e1", 0), List.of());
        Publication publication = publication(1);
        ByteBuf encoded = EncodedTextFrame.encode(ByteBufAllocator.DEFAULT, publication.frame());
        try {
            assertThat(subscription.deliver(publication, encoded)).isTrue();

            ByteBuf written = channel.readOutbound();
            assertThat(written).isNotSameAs(encoded); // every subscriber's socket consumes its own reader index
            assertThat(ByteBufUtil.getBytes(written)).isEqualTo(ByteBufUtil.getBytes(encoded));
            written.skipBytes(written.readableBytes()); // what a socket write does
            written.release();
            assertThat(encoded.refCnt()).isEqualTo(1);
            assertThat(encoded.readerIndex()).isZero();
        } finally {
            encoded.release();
        }
    }

    @Test
    void deliver_writesAFrameOfItsOwn_whenTheConnectionNegotiatedAnExtension() {
        EmbeddedChannel compressed = new EmbeddedChannel();
        Connection withExtension = new Connection(new dev.switchboard.server.registry.ConnectionIds(),
                new Principal("bob", "d", 0), compressed, METRICS, true);
        TopicSubscription extended = new TopicSubscription(withExtension, "t");
        extended.goLive(new StreamPosition("e1", 0), List.of());
        Publication publication = publication(1);
        ByteBuf encoded = EncodedTextFrame.encode(ByteBufAllocator.DEFAULT, publication.frame());
        try {
            assertThat(extended.deliver(publication, encoded)).isTrue();

            Object written = compressed.readOutbound();
            assertThat(written).isInstanceOf(TextWebSocketFrame.class); // so the extension's encoder sees it
            assertThat(((TextWebSocketFrame) written).text()).isEqualTo(new String(publication.frame(), StandardCharsets.UTF_8));
            ((TextWebSocketFrame) written).release();
            assertThat(encoded.refCnt()).isEqualTo(1); // not retained for a write that did not use it
        } finally {
            encoded.release();
            compressed.finishAndReleaseAll();
        }
    }
}
