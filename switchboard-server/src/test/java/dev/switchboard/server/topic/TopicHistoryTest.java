package dev.switchboard.server.topic;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TopicHistoryTest {
    private static Publication publication(long offset) {
        return Publication.of("t", "e1", offset, null, "{\"n\":" + offset + "}");
    }

    private static final TopicHistory HISTORY = new TopicHistory(new StreamPosition("e1", 10),
            List.of(publication(8), publication(9), publication(10)));

    @Test
    void recover_returnsEverythingAfterTheClientsOffset_whenRetained() {
        TopicHistory.Recovery recovery = HISTORY.recover(new StreamPosition("e1", 7));

        assertThat(recovery.failure()).isNull();
        assertThat(recovery.missed()).extracting(Publication::offset).containsExactly(8L, 9L, 10L);
    }

    @Test
    void recover_returnsNothing_whenTheClientIsUpToDate() {
        TopicHistory.Recovery recovery = HISTORY.recover(new StreamPosition("e1", 10));

        assertThat(recovery.failure()).isNull();
        assertThat(recovery.missed()).isEmpty();
    }

    @Test
    void recover_fails_whenPartOfTheGapIsNoLongerRetained() {
        assertThat(HISTORY.recover(new StreamPosition("e1", 6)).failure()).isEqualTo(TopicHistory.RecoveryFailure.GAP_TOO_LARGE);
    }

    @Test
    void recover_fails_forAnotherEpochOrAnOffsetFromTheFuture() {
        assertThat(HISTORY.recover(new StreamPosition("e0", 10)).failure()).isEqualTo(TopicHistory.RecoveryFailure.EPOCH_CHANGED);
        assertThat(HISTORY.recover(new StreamPosition("e1", 11)).failure()).isEqualTo(TopicHistory.RecoveryFailure.EPOCH_CHANGED);
    }

    @Test
    void recover_fails_withoutHistory() {
        TopicHistory none = new TopicHistory(new StreamPosition("e1", 10), List.of());

        assertThat(none.recover(new StreamPosition("e1", 9)).failure()).isEqualTo(TopicHistory.RecoveryFailure.NO_HISTORY);
    }

    @Test
    void publicationFrame_isTheCompleteWireMessage() {
        Publication withPublisher = Publication.of("a/b", "e1", 3, "ann", "{\"x\":[1,2]}");

        assertThat(new String(withPublisher.frame(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(
                "{\"type\":\"publication\",\"topic\":\"a/b\",\"epoch\":\"e1\",\"offset\":3,\"from\":\"ann\",\"data\":{\"x\":[1,2]}}");
        assertThat(new String(publication(1).frame(), java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("from");
    }
}
