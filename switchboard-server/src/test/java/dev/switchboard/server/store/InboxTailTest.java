package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class InboxTailTest {
    private final InboxTail tail = new InboxTail(7);

    @Test
    void entriesAfter_returnsEntriesOfCommitsUpToTheSnapshot_inSeqOrder() {
        tail.publish(List.of(new LoggedEntry("bob", 1, 100), new LoggedEntry("alice", 1, 100)), 8);
        tail.publish(List.of(new LoggedEntry("bob", 2, 101), new LoggedEntry("bob", 3, 102)), 9);

        assertThat(tail.entriesAfter("bob", 0, 10, 9)).containsExactly(
                new EntryRef(1, 100), new EntryRef(2, 101), new EntryRef(3, 102));
        assertThat(tail.entriesAfter("bob", 0, 10, 8)).as("a snapshot of commit 8").containsExactly(new EntryRef(1, 100));
        assertThat(tail.entriesAfter("bob", 1, 1, 9)).containsExactly(new EntryRef(2, 101));
        assertThat(tail.entriesAfter("carol", 0, 10, 9)).isEmpty();
        assertThat(tail.size()).isEqualTo(4);
        assertThat(tail.publishedCommit()).isEqualTo(9);
    }

    @Test
    void removeMerged_dropsPackedEntries_andRecordsTheMergeFirst() {
        tail.publish(List.of(new LoggedEntry("bob", 1, 100), new LoggedEntry("bob", 2, 101),
                new LoggedEntry("alice", 1, 100)), 8);

        tail.removeMerged(Map.of("bob", 1L, "alice", 1L), 9);

        assertThat(tail.mergedCommit()).isEqualTo(9);
        assertThat(tail.entriesAfter("bob", 0, 10, 9)).containsExactly(new EntryRef(2, 101));
        assertThat(tail.userIds()).containsExactly("bob");
        assertThat(tail.size()).isEqualTo(1);
    }

    @Test
    void publish_keepsEveryEntry_whenAUserGrowsPastItsArrays() {
        for (long seq = 1; seq <= 100; seq++) {
            tail.publish(List.of(new LoggedEntry("bob", seq, 1000 + seq)), 7 + seq);
            if (seq % 30 == 0) {
                tail.removeMerged(Map.of("bob", seq - 5), 7 + seq);
            }
        }

        List<EntryRef> entries = tail.entriesOf("bob");
        assertThat(entries).extracting(EntryRef::seq).first().isEqualTo(86L);
        assertThat(entries).extracting(EntryRef::seq).last().isEqualTo(100L);
        assertThat(entries).hasSize(15).allSatisfy(entry -> assertThat(entry.messageId()).isEqualTo(1000 + entry.seq()));
    }

    @Test
    void reload_replacesEverything_andMakesOlderSnapshotsReadAgain() {
        tail.publish(List.of(new LoggedEntry("bob", 1, 100)), 8);

        tail.reload(List.of(new LoggedEntry("alice", 4, 200)), 10);

        assertThat(tail.userIds()).containsExactly("alice");
        assertThat(tail.mergedCommit()).isEqualTo(10);
        assertThat(tail.publishedCommit()).isEqualTo(10);
        assertThat(tail.size()).isEqualTo(1);
    }

    @Test
    void awaitPublished_returns_onceTheWriterPublishesTheCommit() throws Exception {
        CompletableFuture<Void> reader = CompletableFuture.runAsync(() -> {
            try {
                tail.awaitPublished(8);
            } catch (java.sql.SQLException e) {
                throw new IllegalStateException(e);
            }
        });
        assertThat(reader).isNotDone();

        tail.publish(List.of(new LoggedEntry("bob", 1, 100)), 8);

        await().atMost(Duration.ofSeconds(5)).until(reader::isDone);
        assertThat(reader).isCompleted();
    }
}
