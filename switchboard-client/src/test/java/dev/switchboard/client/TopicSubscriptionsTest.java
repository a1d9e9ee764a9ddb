package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.client.TopicSubscriptions.Order;
import org.junit.jupiter.api.Test;

class TopicSubscriptionsTest {
    private static final TopicPosition AT_FIVE = new TopicPosition("e1", 5);

    @Test
    void order_isNext_whenOffsetFollowsPositionInSameEpoch() {
        assertThat(TopicSubscriptions.order(AT_FIVE, "e1", 6)).isEqualTo(Order.NEXT);
        assertThat(TopicSubscriptions.order(new TopicPosition("e1", 0), "e1", 1)).isEqualTo(Order.NEXT);
    }

    @Test
    void order_isDuplicate_whenOffsetAtOrBelowPositionInSameEpoch() {
        assertThat(TopicSubscriptions.order(AT_FIVE, "e1", 5)).isEqualTo(Order.DUPLICATE);
        assertThat(TopicSubscriptions.order(AT_FIVE, "e1", 1)).isEqualTo(Order.DUPLICATE);
    }

    @Test
    void order_isGap_whenOffsetSkipsAheadOrEpochDiffers() {
        assertThat(TopicSubscriptions.order(AT_FIVE, "e1", 7)).isEqualTo(Order.GAP);
        assertThat(TopicSubscriptions.order(AT_FIVE, "e2", 1)).as("a new epoch").isEqualTo(Order.GAP);
        assertThat(TopicSubscriptions.order(AT_FIVE, "e2", 6)).as("offsets of another epoch do not compare")
                .isEqualTo(Order.GAP);
    }
}
