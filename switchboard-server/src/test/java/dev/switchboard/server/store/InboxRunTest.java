package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class InboxRunTest {
    private final InboxRun run = new InboxRun(10, new long[] {100, 105, 230, 231});

    @Test
    void unpack_returnsTheRun_whenPacked() {
        byte[] packed = run.packedMessageIds();

        assertThat(packed).hasSize(4 * Long.BYTES);
        assertThat(InboxRun.unpack(10, packed)).isEqualTo(run);
        assertThat(run.lastSeq()).isEqualTo(13);
        assertThat(run.firstMessageId()).isEqualTo(100);
        assertThat(run.lastMessageId()).isEqualTo(231);
    }

    @Test
    void seqOf_findsTheEntryOfAMessage_orZero() {
        assertThat(run.seqOf(100)).isEqualTo(10);
        assertThat(run.seqOf(230)).isEqualTo(12);
        assertThat(run.seqOf(231)).isEqualTo(13);
        assertThat(run.seqOf(101)).as("not in the run").isZero();
        assertThat(run.seqOf(999)).isZero();
    }

    @Test
    void countUpToMessage_countsTheEntriesOfMessagesUpToAnId() {
        assertThat(run.countUpToMessage(99)).isZero();
        assertThat(run.countUpToMessage(100)).isEqualTo(1);
        assertThat(run.countUpToMessage(229)).isEqualTo(2);
        assertThat(run.countUpToMessage(231)).isEqualTo(4);
        assertThat(run.countUpToMessage(5_000)).isEqualTo(4);
    }

    @Test
    void withoutFirst_keepsTheRestAtTheirSeqs() {
        InboxRun rest = run.withoutFirst(3);

        assertThat(rest.firstSeq()).isEqualTo(13);
        assertThat(rest.messageIds()).containsExactly(231);
        assertThat(rest.lastSeq()).isEqualTo(run.lastSeq());
    }

    @Test
    void constructor_refusesEmptyAndOversizeRuns() {
        assertThatThrownBy(() -> new InboxRun(1, new long[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new InboxRun(1, new long[InboxRun.MAX_ENTRIES + 1])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void unpack_refusesAColumnThatIsNotWholeIds() {
        assertThatThrownBy(() -> InboxRun.unpack(1, new byte[12])).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("corrupt inbox run");
        assertThatThrownBy(() -> InboxRun.unpack(1, new byte[0])).isInstanceOf(IllegalStateException.class);
    }
}
