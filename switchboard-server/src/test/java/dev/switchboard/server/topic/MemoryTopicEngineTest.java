package dev.switchboard.server.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class MemoryTopicEngineTest {
    private final List<Publication> delivered = new CopyOnWriteArrayList<>();
    private final MemoryTopicEngine engine = new MemoryTopicEngine(60_000);

    MemoryTopicEngineTest() {
        engine.start(delivered::add);
    }

    @Test
    void publish_numbersFromOne_keepsTheNewestHistory_andHandsEachToTheHandler() {
        for (int n = 1; n <= 5; n++) {
            assertThat(engine.publish("t", "ann", "" + n, 3, null).join().position().offset()).isEqualTo(n);
        }

        TopicHistory history = engine.history("t", true).join();

        assertThat(history.latest().offset()).isEqualTo(5);
        assertThat(history.retained()).extracting(Publication::offset).containsExactly(3L, 4L, 5L);
        assertThat(delivered).extracting(Publication::offset).containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void publish_withARepeatedIdempotencyKey_publishesNothing_andAnswersTheFirstPosition() {
        PublishResult first = engine.publish("t", null, "1", 0, "key-1").join();
        PublishResult again = engine.publish("t", null, "1", 0, "key-1").join();

        assertThat(first.duplicate()).isFalse();
        assertThat(again.duplicate()).isTrue();
        assertThat(again.position()).isEqualTo(first.position());
        assertThat(delivered).hasSize(1);
    }

    @Test
    void history_ofANewTopic_startsItsEpochAtOffsetZero_whichPublicationsContinue() {
        StreamPosition start = engine.history("fresh", false).join().latest();

        PublishResult published = engine.publish("fresh", null, "1", 0, null).join();

        assertThat(start.offset()).isZero();
        assertThat(published.position()).isEqualTo(new StreamPosition(start.epoch(), 1));
    }

    @Test
    void expireIdle_dropsIdleStreams_butNotOnesWithSubscribers() {
        MemoryTopicEngine shortLived = new MemoryTopicEngine(-1); // everything is idle at once
        String kept = shortLived.publish("kept", null, "1", 0, null).join().position().epoch();
        String dropped = shortLived.publish("dropped", null, "1", 0, null).join().position().epoch();

        shortLived.expireIdle("kept"::equals);

        assertThat(shortLived.streamCount()).isEqualTo(1);
        assertThat(shortLived.history("kept", false).join().latest().epoch()).isEqualTo(kept);
        assertThat(shortLived.history("dropped", false).join().latest().epoch()).isNotEqualTo(dropped);
    }
}
