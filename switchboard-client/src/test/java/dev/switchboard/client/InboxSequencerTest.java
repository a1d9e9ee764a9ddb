package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.client.InboxSequencer.Decision;
import org.junit.jupiter.api.Test;

class InboxSequencerTest {

    @Test
    void resumeAfter_omitsAfterSeqAndStartsAtCursor_whenNothingProcessedYet() {
        InboxSequencer sequencer = new InboxSequencer(null);

        Long afterSeq = sequencer.resumeAfter(4, 6);

        assertThat(afterSeq).as("no afterSeq: the server continues from the cursor").isNull();
        assertThat(sequencer.lastSeq()).isEqualTo(4);
        assertThat(sequencer.offer(5)).isEqualTo(Decision.DELIVER);
    }

    @Test
    void resumeAfter_returnsSeed_whenInitialAfterSeqGiven() {
        InboxSequencer sequencer = new InboxSequencer(0L);

        assertThat(sequencer.resumeAfter(4, 6)).isEqualTo(0L);
        assertThat(sequencer.offer(1)).isEqualTo(Decision.DELIVER);
    }

    @Test
    void resumeAfter_returnsLastSeq_whenReconnectingAfterProcessing() {
        InboxSequencer sequencer = new InboxSequencer(null);
        sequencer.resumeAfter(0, 3);
        sequencer.offer(1);
        sequencer.offer(2);

        assertThat(sequencer.resumeAfter(0, 3)).as("resume after what was processed, not the cursor").isEqualTo(2L);
    }

    @Test
    void resumeAfter_restartsFromCursor_whenServerHasFewerEntriesThanProcessed() {
        InboxSequencer sequencer = new InboxSequencer(10L);

        Long afterSeq = sequencer.resumeAfter(0, 2);

        assertThat(afterSeq).isEqualTo(0L);
        assertThat(sequencer.offer(1)).isEqualTo(Decision.DELIVER);
    }

    @Test
    void offer_delivers_whenSeqIsNext() {
        InboxSequencer sequencer = new InboxSequencer(0L);

        assertThat(sequencer.offer(1)).isEqualTo(Decision.DELIVER);
        assertThat(sequencer.offer(2)).isEqualTo(Decision.DELIVER);
        assertThat(sequencer.lastSeq()).isEqualTo(2);
    }

    @Test
    void offer_reportsDuplicate_whenSeqAlreadyProcessed() {
        InboxSequencer sequencer = new InboxSequencer(0L);
        sequencer.offer(1);
        sequencer.offer(2);

        assertThat(sequencer.offer(2)).isEqualTo(Decision.DUPLICATE);
        assertThat(sequencer.offer(1)).isEqualTo(Decision.DUPLICATE);
        assertThat(sequencer.lastSeq()).isEqualTo(2);
    }

    @Test
    void offer_reportsGapOnceThenWaits_whenEntriesAreMissing() {
        InboxSequencer sequencer = new InboxSequencer(3L);

        assertThat(sequencer.offer(5)).isEqualTo(Decision.GAP);
        assertThat(sequencer.offer(6)).as("resume already requested").isEqualTo(Decision.AWAITING_RESUME);
        assertThat(sequencer.lastSeq()).as("nothing delivered past the gap").isEqualTo(3);
    }

    @Test
    void offer_deliversInOrder_whenReplayFillsTheGap() {
        InboxSequencer sequencer = new InboxSequencer(3L);
        sequencer.offer(5);

        assertThat(sequencer.offer(4)).isEqualTo(Decision.DELIVER);
        assertThat(sequencer.offer(5)).isEqualTo(Decision.DELIVER);
        assertThat(sequencer.offer(7)).as("a new gap asks for a new resume").isEqualTo(Decision.GAP);
    }

    @Test
    void offer_reportsGapAgain_afterSyncedLeftTheGapOpen() {
        InboxSequencer sequencer = new InboxSequencer(3L);
        sequencer.offer(5);

        sequencer.onSynced();

        assertThat(sequencer.offer(6)).isEqualTo(Decision.GAP);
    }

    @Test
    void onTruncated_skipsExpiredRange_whenItCoversLastSeq() {
        InboxSequencer sequencer = new InboxSequencer(2L);

        assertThat(sequencer.onTruncated(2, 10)).isTrue();
        assertThat(sequencer.lastSeq()).isEqualTo(9);
        assertThat(sequencer.offer(10)).isEqualTo(Decision.DELIVER);
    }

    @Test
    void onTruncated_closesAnOpenGap_whenItCoversTheMissingEntries() {
        InboxSequencer sequencer = new InboxSequencer(2L);
        sequencer.offer(10);

        sequencer.onTruncated(1, 10);

        assertThat(sequencer.offer(10)).isEqualTo(Decision.DELIVER);
    }

    @Test
    void onTruncated_isIgnored_whenRangeStartsAfterLastSeq() {
        InboxSequencer sequencer = new InboxSequencer(2L);

        assertThat(sequencer.onTruncated(5, 10)).isFalse();
        assertThat(sequencer.lastSeq()).isEqualTo(2);
    }

    @Test
    void onTruncated_isIgnored_whenRangeWasAlreadyPassed() {
        InboxSequencer sequencer = new InboxSequencer(12L);

        assertThat(sequencer.onTruncated(2, 10)).isFalse();
        assertThat(sequencer.onTruncated(2, 13)).as("nextSeq - 1 == lastSeq: nothing to skip").isFalse();
        assertThat(sequencer.lastSeq()).isEqualTo(12);
    }

    @Test
    void resumeAfter_forgetsRequestedResume_whenNewConnectionStarts() {
        InboxSequencer sequencer = new InboxSequencer(3L);
        sequencer.offer(5);

        sequencer.resumeAfter(3, 5);

        assertThat(sequencer.offer(6)).isEqualTo(Decision.GAP);
    }
}
