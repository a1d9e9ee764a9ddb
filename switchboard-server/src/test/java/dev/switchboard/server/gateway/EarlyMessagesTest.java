package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Messages held before a session starts: in order, binary ones marked, and no more than the bound. */
class EarlyMessagesTest {
    @Test
    void hold_keepsMessagesInOrder_andRefusesOnePastTheBound() {
        EarlyMessages early = new EarlyMessages();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < EarlyMessages.MAX; i++) {
            String text = i == 3 ? null : "{\"n\":" + i + "}"; // the fourth is binary
            sent.add(text);
            assertThat(early.hold(text)).as("message %d of %d is held", i + 1, EarlyMessages.MAX).isTrue();
        }

        assertThat(early.hold("{\"n\":\"one too many\"}")).isFalse();
        assertThat(early.messages()).containsExactlyElementsOf(sent);
    }
}
