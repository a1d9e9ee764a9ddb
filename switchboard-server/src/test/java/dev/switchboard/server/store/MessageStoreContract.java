package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.RequestRejectedException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link MessageStore} contract, run against every store: SQLite ({@link SqliteMessageStoreTest}),
 * MariaDB and PostgreSQL ({@code *MessageStoreIT}). Each test starts from an empty database.
 */
abstract class MessageStoreContract {
    private static final long TIMEOUT_SECONDS = 60;
    private static final long CREATED_AT = 1_700_000_000_000L;

    /** Opens the database under test; called again by tests that reopen it (same data). */
    protected abstract JdbcDatabase openDatabase();

    /** The JDBC url of the database under test (after {@link #openDatabase()}), for tests that set up its schema themselves. */
    protected abstract String url();

    private JdbcDatabase database;
    private JdbcMessageStore store;
    private JdbcGroupStore groups;
    private int clientIds;
    private final List<CountDownLatch> heldWriters = new ArrayList<>();

    @BeforeEach
    void open() {
        openStore();
    }

    @AfterEach
    void close() {
        heldWriters.forEach(CountDownLatch::countDown); // a test that failed while holding the writer
        store.close();
        releaseDatabase();
    }

    /** Called after the store is closed: drop whatever {@link #openDatabase()} created. */
    protected void releaseDatabase() {
    }

    @Test
    void append_givesEveryUserGapFreeSeqs_whenManyOneToOneMessages() throws Exception {
        List<Long> aliceSeqs = new ArrayList<>();
        List<Long> bobSeqs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            AppendResult toBob = append("alice", TargetKind.USER, "bob");
            aliceSeqs.add(toBob.senderSeq());
            bobSeqs.add(seqOf(toBob, "bob"));
            AppendResult toAlice = append("bob", TargetKind.USER, "alice");
            bobSeqs.add(toAlice.senderSeq());
            aliceSeqs.add(seqOf(toAlice, "alice"));
        }
        AppendResult toCarol = append("alice", TargetKind.USER, "carol");

        assertThat(aliceSeqs).as("alice's seqs in append order").containsExactlyElementsOf(oneTo(20));
        assertThat(bobSeqs).as("bob's seqs in append order").containsExactlyElementsOf(oneTo(20));
        assertThat(toCarol.senderSeq()).isEqualTo(21);
        assertThat(toCarol.recipients()).containsExactlyInAnyOrder(new Recipient("carol", 1), new Recipient("alice", 21));
        assertThat(seqs(read("alice", 0, 100))).containsExactlyElementsOf(oneTo(21));
        assertThat(seqs(read("bob", 0, 100))).containsExactlyElementsOf(oneTo(20));
        assertThat(read("carol", 0, 100).lastSeq()).isEqualTo(1);
    }

    @Test
    void append_storesMessageAsSent_whenOneToOne() throws Exception {
        AppendResult result = await(store.append(
                new AppendRequest("alice", "phone", TargetKind.USER, "bob", "client-1", "{\"text\":\"hi\"}", CREATED_AT)));

        InboxEntry entry = read("bob", 0, 10).entries().get(0);
        assertThat(entry.message()).isEqualTo(result.message());
        assertThat(entry.message()).isEqualTo(new StoredMessage(result.message().id(), "alice", "phone",
                TargetKind.USER, "bob", "client-1", "{\"text\":\"hi\"}", CREATED_AT));
        assertThat(result.duplicate()).isFalse();
    }

    @Test
    void append_createsOneEntry_whenSendingToYourself() throws Exception {
        AppendResult result = append("alice", TargetKind.USER, "alice");

        assertThat(result.recipients()).containsExactly(new Recipient("alice", 1));
        assertThat(result.senderSeq()).isEqualTo(1);
        InboxPage inbox = read("alice", 0, 10);
        assertThat(inbox.entries()).hasSize(1);
        assertThat(inbox.lastSeq()).isEqualTo(1);
    }

    @Test
    void append_returnsOriginalAndCreatesNothing_whenClientIdRepeats() throws Exception {
        AppendResult original = await(store.append(request("alice", TargetKind.USER, "bob", "same-id", "\"first\"")));
        append("bob", TargetKind.USER, "alice");

        AppendResult repeat = await(store.append(new AppendRequest("alice", "laptop", TargetKind.USER, "bob",
                "same-id", "\"second\"", CREATED_AT + 5000)));

        assertThat(repeat.duplicate()).isTrue();
        assertThat(repeat.message()).as("the original message, not the resent one").isEqualTo(original.message());
        assertThat(repeat.senderSeq()).isEqualTo(original.senderSeq()).isEqualTo(1);
        assertThat(repeat.recipients()).as("the original's entries, to be delivered again")
                .containsExactlyInAnyOrderElementsOf(original.recipients());
        assertThat(seqs(read("alice", 0, 10))).containsExactly(1L, 2L);
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L, 2L);
        assertThat(read("bob", 0, 10).lastSeq()).isEqualTo(2);
    }

    @Test
    void queuedWrites_countsTheWritesWaitingBehindABusyWriter_andFallsToZeroOnceCommitted() throws Exception {
        assertThat(database.queuedWrites()).isZero();
        CountDownLatch release = holdWriter();
        CompletableFuture<AppendResult> first = store.append(request("alice", TargetKind.USER, "bob", "q-1", "1"));
        CompletableFuture<AppendResult> second = store.append(request("alice", TargetKind.USER, "bob", "q-2", "2"));

        assertThat(database.queuedWrites()).as("two writes behind the held one").isEqualTo(2);
        release.countDown();
        await(first);
        await(second);
        assertThat(database.queuedWrites()).isZero();
    }

    @Test
    void append_returnsDuplicate_whenSameClientIdSubmittedTwiceInOneBatch() throws Exception {
        CountDownLatch release = holdWriter();
        CompletableFuture<AppendResult> first = store.append(request("alice", TargetKind.USER, "bob", "same-id", "1"));
        CompletableFuture<AppendResult> second = store.append(request("alice", TargetKind.USER, "bob", "same-id", "2"));
        release.countDown();

        assertThat(await(first).duplicate()).isFalse();
        assertThat(await(second).duplicate()).isTrue();
        assertThat(await(second).message()).isEqualTo(await(first).message());
        assertThat(await(second).recipients()).containsExactlyInAnyOrderElementsOf(await(first).recipients());
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L);
    }

    @Test
    void append_returnsDuplicateWithSenderSeqZero_whenSendersEntryExpired() throws Exception {
        AppendResult original = await(store.append(request("alice", TargetKind.USER, "bob", "first", "\"x\"")));
        for (int i = 0; i < 5; i++) {
            append("alice", TargetKind.USER, "carol");
        }
        await(store.purgeExpired(0, 3));

        AppendResult repeat = await(store.append(request("alice", TargetKind.USER, "bob", "first", "\"x\"")));

        assertThat(repeat.duplicate()).as("bob still holds the message, so it is a duplicate").isTrue();
        assertThat(repeat.message()).isEqualTo(original.message());
        assertThat(repeat.senderSeq()).as("alice's own entry has expired").isZero();
        assertThat(repeat.recipients()).as("the entries still stored").containsExactly(new Recipient("bob", 1));
    }

    /**
     * A commit that took effect although the writer was told it failed (a connection lost in the middle
     * of a COMMIT): played by a task that writes and commits what its batch did so far, then fails as a
     * lost connection would. The writer must not trust what it cached during that attempt: nothing may
     * be stored twice, and no seq used twice or skipped.
     */
    @Test
    void append_storesOnceAndKeepsSeqsGapFree_whenACommitTookEffectButReportedFailure() throws Exception {
        append("alice", TargetKind.USER, "bob");
        AtomicBoolean connectionLost = new AtomicBoolean();

        CountDownLatch release = holdWriter();
        CompletableFuture<AppendResult> inDoubt = store.append(request("alice", TargetKind.USER, "bob", "in-doubt", "\"x\""));
        CompletableFuture<Object> committedThenFailed = database.writer().submit(context -> {
            if (connectionLost.compareAndSet(false, true)) {
                context.flushQueued();
                context.beforeCommit();
                context.connection().commit();
                throw new SQLException("connection lost after the commit", "08S01");
            }
            return null; // the writer retries the batch's writes one by one: this time it succeeds
        });
        release.countDown();
        committedThenFailed.handle((result, error) -> null).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        AppendResult firstAnswer = await(inDoubt); // the batch failed: its writes were retried one by one
        AppendResult resend = await(store.append(request("alice", TargetKind.USER, "bob", "in-doubt", "\"x\"")));
        AppendResult next = append("alice", TargetKind.USER, "bob");
        AppendResult fromBob = append("bob", TargetKind.USER, "alice");

        assertThat(connectionLost).isTrue();
        assertThat(firstAnswer.duplicate()).as("the retry found the message stored by the commit in doubt").isTrue();
        assertThat(firstAnswer.message()).isEqualTo(resend.message());
        assertThat(firstAnswer.recipients()).as("to be delivered: nothing delivered it after the commit in doubt")
                .containsExactlyInAnyOrder(new Recipient("alice", 2), new Recipient("bob", 2));
        assertThat(resend.duplicate()).as("the message took effect before the failure").isTrue();
        assertThat(resend.senderSeq()).isEqualTo(2);
        assertThat(seqOf(next, "bob")).isEqualTo(3);
        assertThat(seqOf(next, "alice")).isEqualTo(3);
        assertThat(seqOf(fromBob, "alice")).isEqualTo(4);
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L, 2L, 3L, 4L);
        assertThat(seqs(read("alice", 0, 10))).containsExactly(1L, 2L, 3L, 4L);
        assertThat(read("bob", 0, 10).entries()).extracting(entry -> entry.message().clientId())
                .filteredOn("in-doubt"::equals).hasSize(1);
    }

    @Test
    void append_isNotDuplicate_whenAnotherSenderUsesSameClientId() throws Exception {
        await(store.append(request("alice", TargetKind.USER, "carol", "same-id", "\"a\"")));

        AppendResult other = await(store.append(request("bob", TargetKind.USER, "carol", "same-id", "\"b\"")));

        assertThat(other.duplicate()).isFalse();
        assertThat(seqs(read("carol", 0, 10))).containsExactly(1L, 2L);
    }

    @Test
    void append_reachesEveryMember_whenTargetIsGroup() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob", "carol"), 10));
        append("dave", TargetKind.USER, "bob");

        AppendResult result = append("alice", TargetKind.GROUP, "team");

        assertThat(result.recipients()).containsExactlyInAnyOrder(
                new Recipient("alice", 1), new Recipient("bob", 2), new Recipient("carol", 1));
        assertThat(result.senderSeq()).isEqualTo(1);
        for (String member : List.of("alice", "bob", "carol")) {
            List<InboxEntry> entries = read(member, 0, 10).entries();
            assertThat(entries).as("%s's inbox", member).isNotEmpty();
            InboxEntry last = entries.get(entries.size() - 1);
            assertThat(last.message().id()).isEqualTo(result.message().id());
            assertThat(last.message().targetKind()).isEqualTo(TargetKind.GROUP);
            assertThat(last.message().targetId()).isEqualTo("team");
        }
        assertThat(read("dave", 0, 10).lastSeq()).as("non-member's inbox").isEqualTo(1);
    }

    @Test
    void append_rejectsWithNotGroupMemberAndWritesNothing_whenSenderNotInGroup() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob"), 10));

        Throwable failure = failureOf(store.append(request("mallory", TargetKind.GROUP, "team", "m-1", "\"x\"")));

        assertRejected(failure, ErrorCode.NOT_GROUP_MEMBER);
        for (String user : List.of("alice", "bob", "mallory")) {
            InboxPage inbox = read(user, 0, 10);
            assertThat(inbox.entries()).as("%s's inbox after a rejected append", user).isEmpty();
            assertThat(inbox.lastSeq()).as("%s's lastSeq after a rejected append", user).isZero();
        }
        await(groups.join("team", "mallory", 10));
        assertThat(await(store.append(request("mallory", TargetKind.GROUP, "team", "m-1", "\"x\""))).duplicate())
                .as("the rejected message was not stored, so its client id is still free").isFalse();
    }

    @Test
    void append_rejectsWithNotGroupMember_whenSenderLeftGroup() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob"), 10));
        await(groups.leave("team", "bob"));

        assertRejected(failureOf(store.append(request("bob", TargetKind.GROUP, "team", "b-1", "\"x\""))),
                ErrorCode.NOT_GROUP_MEMBER);
    }

    @Test
    void append_rejectsWithGroupNotFound_whenGroupMissing() throws Exception {
        Throwable failure = failureOf(store.append(request("alice", TargetKind.GROUP, "nowhere", "a-1", "\"x\"")));

        assertRejected(failure, ErrorCode.GROUP_NOT_FOUND);
        assertThat(read("alice", 0, 10).lastSeq()).isZero();
    }

    @Test
    void append_completesOtherWrites_whenOneInSameBatchIsRejected() throws Exception {
        await(groups.create("team", "Team", "alice", List.of(), 10));

        // Submitted back to back so they are likely committed in one group-commit batch.
        CompletableFuture<AppendResult> before = store.append(request("alice", TargetKind.USER, "bob", "a-1", "1"));
        CompletableFuture<AppendResult> rejected = store.append(request("bob", TargetKind.GROUP, "team", "b-1", "2"));
        CompletableFuture<AppendResult> after = store.append(request("alice", TargetKind.USER, "bob", "a-2", "3"));

        assertRejected(failureOf(rejected), ErrorCode.NOT_GROUP_MEMBER);
        assertThat(await(before).senderSeq()).isEqualTo(1);
        assertThat(await(after).senderSeq()).isEqualTo(2);
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L, 2L);
    }

    @Test
    void observeWrites_tellsEveryCommittedWriteOnceAndEveryBatchOnce_whenABatchHoldsARejectedWrite() throws Exception {
        List<String> told = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch threeBatches = new CountDownLatch(3);
        database.observeWrites(recordingObserver(told, threeBatches, new CountDownLatch(0)));
        await(groups.create("team", "Team", "alice", List.of(), 10)); // a batch of one write

        CountDownLatch release = holdWriter(); // another
        CompletableFuture<AppendResult> before = store.append(request("alice", TargetKind.USER, "bob", "a-1", "1"));
        CompletableFuture<AppendResult> rejected = store.append(request("bob", TargetKind.GROUP, "team", "b-1", "2"));
        CompletableFuture<AppendResult> after = store.append(request("alice", TargetKind.USER, "bob", "a-2", "3"));
        release.countDown(); // the three queued meanwhile: one batch

        assertRejected(failureOf(rejected), ErrorCode.NOT_GROUP_MEMBER);
        await(before);
        await(after);
        assertThat(threeBatches.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("every batch told").isTrue();
        assertThat(told).as("the rejected write is not told")
                .containsExactly("write", "batch", "write", "batch", "write", "write", "batch");
    }

    @Test
    void observeWrites_tellsEachWriteOnce_whenAFailedBatchIsRetriedOneByOne() throws Exception {
        List<String> told = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch threeWrites = new CountDownLatch(3);
        database.observeWrites(recordingObserver(told, new CountDownLatch(0), threeWrites));
        AtomicBoolean refusedOnce = new AtomicBoolean();

        CountDownLatch release = holdWriter();
        CompletableFuture<AppendResult> message = store.append(request("alice", TargetKind.USER, "bob", "a-1", "1"));
        CompletableFuture<Object> refusedInTheBatch = database.writer().submit(context -> {
            if (refusedOnce.compareAndSet(false, true)) {
                throw new SQLException("value too long", "22001"); // not transient: the batch fails
            }
            return null; // alone, it commits
        });
        release.countDown();

        await(message);
        refusedInTheBatch.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(threeWrites.await(TIMEOUT_SECONDS, TimeUnit.SECONDS)).as("every write told").isTrue();
        assertThat(told).as("the failed batch told once, each write once when it committed alone")
                .containsExactly("write", "batch", "failed batch", "write", "write");
    }

    @Test
    void append_storesAndAnswers_whenTheWriteObserverThrows() throws Exception {
        database.observeWrites(new WriteObserver() {
            @Override
            public void batchFinished(long queuedNanos, long nanos, boolean committed) {
                throw new IllegalStateException("a broken metrics registry");
            }

            @Override
            public void writeCommitted(long nanos) {
                throw new IllegalStateException("a broken metrics registry");
            }
        });

        AppendResult first = append("alice", TargetKind.USER, "bob");
        AppendResult second = append("alice", TargetKind.USER, "bob");

        assertThat(first.senderSeq()).isEqualTo(1);
        assertThat(second.senderSeq()).isEqualTo(2);
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L, 2L);
        assertThat(store.isHealthy()).as("the store stays healthy").isTrue();
    }

    /** Records what the store tells as "batch", "failed batch" and "write", counting down the latches. */
    private static WriteObserver recordingObserver(List<String> told, CountDownLatch batches, CountDownLatch writes) {
        return new WriteObserver() {
            @Override
            public void batchFinished(long queuedNanos, long nanos, boolean committed) {
                told.add(committed ? "batch" : "failed batch");
                batches.countDown();
            }

            @Override
            public void writeCommitted(long nanos) {
                told.add("write");
                writes.countDown();
            }
        };
    }

    @Test
    void readInbox_returnsPagesInSeqOrder_whenAfterSeqAndLimitGiven() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            ids.add(append("alice", TargetKind.USER, "bob").message().id());
        }

        InboxPage first = read("bob", 0, 4);
        InboxPage second = read("bob", 4, 4);
        InboxPage third = read("bob", 8, 4);
        InboxPage past = read("bob", 10, 4);

        assertThat(seqs(first)).containsExactly(1L, 2L, 3L, 4L);
        assertThat(seqs(second)).containsExactly(5L, 6L, 7L, 8L);
        assertThat(seqs(third)).containsExactly(9L, 10L);
        assertThat(past.entries()).isEmpty();
        assertThat(List.of(first.lastSeq(), second.lastSeq(), third.lastSeq(), past.lastSeq()))
                .as("lastSeq reported with every page").containsOnly(10L);
        assertThat(first.entries().get(0).message().id()).isEqualTo(ids.get(0));
        assertThat(third.entries().get(1).message().id()).isEqualTo(ids.get(9));
        assertThat(ids).as("message ids increase in storage order").isSorted().doesNotHaveDuplicates();
    }

    @Test
    void readInbox_returnsEmptyPage_whenUserHasNoInbox() throws Exception {
        InboxPage inbox = read("nobody", 0, 10);

        assertThat(inbox.entries()).isEmpty();
        assertThat(inbox.lastSeq()).isZero();
    }

    @Test
    void deviceState_reportsCursorZero_whenDeviceNeverAcknowledged() throws Exception {
        assertThat(await(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(0, 0));

        append("bob", TargetKind.USER, "alice");
        append("bob", TargetKind.USER, "alice");

        assertThat(await(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(0, 2));
    }

    @Test
    void advanceCursor_keepsMaximum_whenLowerAckArrivesLater() throws Exception {
        for (int i = 0; i < 3; i++) {
            append("bob", TargetKind.USER, "alice");
        }

        await(store.advanceCursor("alice", "phone", 2));
        assertThat(await(store.deviceState("alice", "phone")).cursor()).isEqualTo(2);

        await(store.advanceCursor("alice", "phone", 1));
        assertThat(await(store.deviceState("alice", "phone")).cursor()).as("cursor after a lower ack").isEqualTo(2);

        await(store.advanceCursor("alice", "phone", 3));
        assertThat(await(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(3, 3));
        assertThat(await(store.deviceState("alice", "laptop"))).as("cursors are per device").isEqualTo(new DeviceState(0, 3));
    }

    @Test
    void open_keepsMessagesCursorsAndSequences_whenDatabaseReopened() throws Exception {
        List<Long> ids = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ids.add(append("alice", TargetKind.USER, "bob").message().id());
        }
        await(store.advanceCursor("bob", "phone", 2));
        List<InboxEntry> before = read("bob", 0, 10).entries();

        reopenStore();

        assertThat(read("bob", 0, 10).entries()).as("bob's inbox after reopening").isEqualTo(before);
        assertThat(await(store.deviceState("bob", "phone"))).isEqualTo(new DeviceState(2, 3));
        AppendResult next = append("alice", TargetKind.USER, "bob");
        assertThat(seqOf(next, "bob")).as("bob's next seq after reopening").isEqualTo(4);
        assertThat(next.senderSeq()).as("alice's next seq after reopening").isEqualTo(4);
        assertThat(next.message().id()).isGreaterThan(ids.get(2));
        AppendResult resent = await(store.append(request("alice", TargetKind.USER, "bob", "c1", "\"again\"")));
        assertThat(resent.duplicate()).as("idempotency survives a reopen").isTrue();
        assertThat(resent.message().id()).isEqualTo(ids.get(0));
    }

    @Test
    void purgeExpired_keepsNewestEntries_whenLimitedByCount() throws Exception {
        for (int i = 0; i < 10; i++) {
            append("alice", TargetKind.USER, "bob");
        }

        long deleted = await(store.purgeExpired(0, 3));

        assertThat(deleted).as("entries deleted from alice's and bob's inboxes").isEqualTo(14);
        InboxPage inbox = read("bob", 0, 100);
        assertThat(seqs(inbox)).containsExactly(8L, 9L, 10L);
        assertThat(inbox.entries().get(0).seq()).as("first entry after the purged gap").isGreaterThan(0 + 1);
        assertThat(inbox.lastSeq()).as("lastSeq is not changed by a purge").isEqualTo(10);
        assertThat(await(store.deviceState("bob", "phone")).lastSeq()).isEqualTo(10);
        AppendResult next = append("alice", TargetKind.USER, "bob");
        assertThat(seqOf(next, "bob")).as("seqs continue after a purge, never reused").isEqualTo(11);
        assertThat(seqs(read("bob", 0, 100))).containsExactly(8L, 9L, 10L, 11L);
    }

    @Test
    void purgeExpired_deletesNothing_whenInboxesWithinLimits() throws Exception {
        append("alice", TargetKind.USER, "bob");

        assertThat(await(store.purgeExpired(0, 3))).isZero();
        assertThat(await(store.purgeExpired(CREATED_AT - 1, 0))).isZero();
        assertThat(await(store.purgeExpired(0, 0))).isZero();
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L);
    }

    @Test
    void purgeExpired_deletesOldEntries_whenLimitedByAge() throws Exception {
        for (int i = 0; i < 3; i++) {
            appendAt("alice", "bob", 1_000);
        }
        appendAt("alice", "bob", 5_000);
        appendAt("alice", "bob", 6_000);

        long deleted = await(store.purgeExpired(3_000, 0));

        assertThat(deleted).as("old entries deleted from alice's and bob's inboxes").isEqualTo(6);
        InboxPage inbox = read("bob", 0, 100);
        assertThat(seqs(inbox)).containsExactly(4L, 5L);
        assertThat(inbox.lastSeq()).isEqualTo(5);
        assertThat(seqOf(appendAt("alice", "bob", 7_000), "bob")).isEqualTo(6);
    }

    @Test
    void purgeExpired_findsTheAgeCutoff_acrossManyMessagesAndEarlierPurges() throws Exception {
        for (int i = 1; i <= 40; i++) {
            appendAt("alice", "bob", i * 1_000L);
        }
        assertThat(await(store.purgeExpired(7_500, 0))).as("messages 1-7, both inboxes").isEqualTo(14);

        long deleted = await(store.purgeExpired(23_500, 0));

        assertThat(deleted).as("messages 8-23, both inboxes, found past the gap the first purge left").isEqualTo(32);
        assertThat(seqs(read("bob", 0, 100))).startsWith(24L).hasSize(17);
        assertThat(await(store.purgeExpired(23_500, 0))).as("nothing older is left").isZero();
        assertThat(await(store.purgeExpired(500, 0))).as("a cutoff before every message").isZero();
    }

    @Test
    void purgeExpired_neverReusesSeqsOrIds_whenEverythingPurgedAndReopened() throws Exception {
        long lastId = 0;
        for (int i = 0; i < 3; i++) {
            lastId = appendAt("alice", "bob", 1_000).message().id();
        }
        assertThat(await(store.purgeExpired(2_000, 0))).isEqualTo(6);

        reopenStore();

        assertThat(read("bob", 0, 10).entries()).isEmpty();
        assertThat(read("bob", 0, 10).lastSeq()).isEqualTo(3);
        AppendResult next = appendAt("alice", "bob", 3_000);
        assertThat(seqOf(next, "bob")).as("bob's seq after purge and reopen").isEqualTo(4);
        assertThat(next.message().id()).as("message id after purge and reopen").isGreaterThan(lastId);
    }

    @Test
    void append_keepsEveryInboxGapFree_whenManyAppendsRunConcurrently() throws Exception {
        int threads = 4;
        int perThread = 500;
        int recipients = 5;
        ExecutorService executor = Executors.newFixedThreadPool(threads);
        List<Future<List<CompletableFuture<AppendResult>>>> submitted = new ArrayList<>();
        try {
            for (int thread = 0; thread < threads; thread++) {
                String sender = "sender-" + thread;
                submitted.add(executor.submit(() -> {
                    List<CompletableFuture<AppendResult>> futures = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        futures.add(store.append(request(sender, TargetKind.USER, "user-" + (i % recipients),
                                sender + "-" + i, String.valueOf(i))));
                    }
                    return futures;
                }));
            }
            List<CompletableFuture<AppendResult>> all = new ArrayList<>();
            for (Future<List<CompletableFuture<AppendResult>>> futures : submitted) {
                all.addAll(futures.get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            }
            CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
            assertThat(all).as("appends that completed").hasSize(threads * perThread)
                    .allSatisfy(future -> assertThat(future.join().duplicate()).isFalse());
        } finally {
            executor.shutdownNow();
        }

        for (int thread = 0; thread < threads; thread++) {
            InboxPage inbox = read("sender-" + thread, 0, 10_000);
            assertThat(seqs(inbox)).as("sender-%d's seqs", thread).containsExactlyElementsOf(oneTo(perThread));
            List<String> clientIds = inbox.entries().stream().map(entry -> entry.message().clientId()).toList();
            List<String> expected = new ArrayList<>();
            for (int i = 0; i < perThread; i++) {
                expected.add("sender-" + thread + "-" + i);
            }
            assertThat(clientIds).as("sender-%d's messages stored in call order", thread).isEqualTo(expected);
        }
        int perRecipient = threads * perThread / recipients;
        for (int user = 0; user < recipients; user++) {
            InboxPage inbox = read("user-" + user, 0, 10_000);
            assertThat(seqs(inbox)).as("user-%d's seqs", user).containsExactlyElementsOf(oneTo(perRecipient));
            assertThat(inbox.lastSeq()).isEqualTo(perRecipient);
        }
    }

    @Test
    void append_failsWithStoreException_whenStoreClosed() throws Exception {
        store.close();

        assertThat(failureOf(store.append(request("alice", TargetKind.USER, "bob", "late", "1"))))
                .isInstanceOf(StoreException.class);
    }

    @Test
    void readInbox_failsWithStoreException_whenStoreClosed() throws Exception {
        store.close();

        assertThat(failureOf(store.readInbox("alice", 0, 10)))
                .as("a read after close() fails as 'closed' (store_unavailable), not as a full queue (store_busy)")
                .isInstanceOf(StoreException.class);
    }

    @Test
    void contactsOf_returnsOneToOnePartnersBothWaysAndGroupCoMembers() throws Exception {
        append("alice", TargetKind.USER, "bob");
        append("alice", TargetKind.USER, "bob");
        append("carol", TargetKind.USER, "alice");
        append("alice", TargetKind.USER, "alice");
        append("bob", TargetKind.USER, "erin");
        await(groups.create("team", "Team", "alice", List.of("dave"), 10));

        assertThat(await(store.contactsOf("alice", 100))).containsExactlyInAnyOrder("bob", "carol", "dave");
        assertThat(await(store.contactsOf("bob", 100))).containsExactlyInAnyOrder("alice", "erin");
        assertThat(await(store.contactsOf("erin", 100))).containsExactly("bob");
        assertThat(await(store.contactsOf("frank", 100))).isEmpty();
        assertThat(await(store.contactsOf("alice", 2))).as("capped by the limit").hasSize(2);
    }

    @Test
    void contactsOf_keepsPartners_whenMessagesPurgedAndStoreReopened() throws Exception {
        appendAt("alice", "bob", 1_000);
        assertThat(await(store.purgeExpired(2_000, 0))).isEqualTo(2);

        reopenStore();

        assertThat(await(store.contactsOf("bob", 100))).containsExactly("alice");
        appendAt("bob", "alice", 3_000); // a known pair after the writer's cache was lost: nothing to insert, no error
        appendAt("bob", "carol", 3_000);
        assertThat(await(store.contactsOf("bob", 100))).containsExactlyInAnyOrder("alice", "carol");
    }

    @Test
    void open_leavesNoIndexOnMessageTargets_whenInstalledNew() throws Exception {
        assertThat(hasIndex("messages_by_target")).isFalse();
    }

    @Test
    void contactsOf_findsPartnersOfMessagesStoredBeforeSchemaVersion4() throws Exception {
        store.close();
        Flyway earlier = Flyway.configure().dataSource(url(), null, null).cleanDisabled(false)
                .locations(SqlDialect.fromJdbcUrl(url()).migrationLocation())
                .target("3").load();
        earlier.clean();
        earlier.migrate();
        try (Connection connection = DriverManager.getConnection(url());
             PreparedStatement insert = connection.prepareStatement("INSERT INTO messages (sender_id, sender_device, "
                     + "target_kind, target_id, client_id, body, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
            String[][] messages = {{"alice", "user", "bob"}, {"bob", "user", "alice"}, {"carol", "user", "alice"},
                    {"alice", "user", "alice"}, {"dave", "group", "team"}};
            for (int i = 0; i < messages.length; i++) { // the columns of schema version 3
                insert.setString(1, messages[i][0]);
                insert.setString(2, "phone");
                insert.setString(3, messages[i][1]);
                insert.setString(4, messages[i][2]);
                insert.setString(5, "old" + i);
                insert.setString(6, "\"before the upgrade\"");
                insert.setLong(7, CREATED_AT);
                insert.executeUpdate();
            }
        }

        openStore(); // migrates to the current version

        assertThat(hasIndex("messages_by_target"))
                .as("the index of the previous version's presence lookup stays in a cluster's database with messages "
                        + "(its nodes may still run), not in the embedded store")
                .isEqualTo(SqlDialect.fromJdbcUrl(url()) != SqlDialect.SQLITE);
        assertThat(await(store.contactsOf("alice", 100))).containsExactlyInAnyOrder("bob", "carol");
        assertThat(await(store.contactsOf("carol", 100))).containsExactly("alice");
        assertThat(await(store.contactsOf("dave", 100))).isEmpty();
        assertThat(append("carol", TargetKind.USER, "alice").duplicate()).isFalse();
        assertThat(await(store.contactsOf("carol", 100))).containsExactly("alice");
    }

    /** Whether the database under test has an index of this name. */
    private boolean hasIndex(String name) throws Exception {
        String query = switch (SqlDialect.fromJdbcUrl(url())) {
            case SQLITE -> "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name = ?";
            case MARIADB -> "SELECT COUNT(*) FROM information_schema.statistics WHERE table_schema = DATABASE() AND index_name = ?";
            case POSTGRESQL -> "SELECT COUNT(*) FROM pg_indexes WHERE indexname = ?";
        };
        try (Connection connection = DriverManager.getConnection(url());
             PreparedStatement select = connection.prepareStatement(query)) {
            select.setString(1, name);
            try (ResultSet row = select.executeQuery()) {
                row.next();
                return row.getLong(1) > 0;
            }
        }
    }

    private void openStore() {
        database = openDatabase();
        store = new JdbcMessageStore(database);
        groups = new JdbcGroupStore(database);
    }

    @Test
    void append_seesGroupChangesQueuedBeforeIt_whenInOneBatch() throws Exception {
        // One writer batch; the outcome must be as if each ran in order.
        CountDownLatch release = holdWriter();
        var create = groups.create("fresh", "Fresh", "alice", List.of("bob"), 10);
        var toNewGroup = store.append(request("alice", TargetKind.GROUP, "fresh", "q1", "1"));
        var join = groups.join("fresh", "carol", 10);
        var afterJoin = store.append(request("alice", TargetKind.GROUP, "fresh", "q2", "2"));
        var leave = groups.leave("fresh", "bob");
        var byLeaver = store.append(request("bob", TargetKind.GROUP, "fresh", "q3", "3"));
        var afterLeave = store.append(request("alice", TargetKind.GROUP, "fresh", "q4", "4"));
        release.countDown();

        await(create);
        assertThat(await(toNewGroup).recipients()).extracting(Recipient::userId).containsExactlyInAnyOrder("alice", "bob");
        await(join);
        assertThat(await(afterJoin).recipients()).extracting(Recipient::userId)
                .containsExactlyInAnyOrder("alice", "bob", "carol");
        await(leave);
        assertRejected(failureOf(byLeaver), ErrorCode.NOT_GROUP_MEMBER);
        assertThat(await(afterLeave).recipients()).extracting(Recipient::userId).containsExactlyInAnyOrder("alice", "carol");
    }

    @Test
    void append_mixesNewMessagesAndResends_whenInOneBatch() throws Exception {
        AppendResult stored = await(store.append(request("alice", TargetKind.USER, "bob", "stored", "1")));

        CountDownLatch release = holdWriter();
        var before = store.append(request("alice", TargetKind.USER, "bob", "new-1", "2"));
        var resendOfStored = store.append(request("alice", TargetKind.USER, "bob", "stored", "1"));
        var fromBob = store.append(request("bob", TargetKind.USER, "alice", "stored", "3")); // same client id, other sender
        var after = store.append(request("alice", TargetKind.USER, "bob", "new-2", "4"));
        var resendOfNew = store.append(request("alice", TargetKind.USER, "bob", "new-1", "2"));
        release.countDown();

        assertThat(await(resendOfStored).duplicate()).isTrue();
        assertThat(await(resendOfStored).message()).isEqualTo(stored.message());
        assertThat(await(resendOfStored).senderSeq()).isEqualTo(stored.senderSeq());
        assertThat(await(resendOfNew).duplicate()).isTrue();
        assertThat(await(resendOfNew).message()).isEqualTo(await(before).message());
        assertThat(await(resendOfNew).senderSeq()).isEqualTo(await(before).senderSeq());
        assertThat(List.of(await(before), await(fromBob), await(after))).allSatisfy(result -> {
            assertThat(result.duplicate()).isFalse();
            assertThat(result.message().id()).isGreaterThan(stored.message().id());
        });
        assertThat(await(after).message().id()).isGreaterThan(await(fromBob).message().id());
        assertThat(await(fromBob).message().id()).isGreaterThan(await(before).message().id());
        assertThat(seqs(read("bob", 0, 10))).containsExactly(1L, 2L, 3L, 4L);
        assertThat(read("bob", 0, 10).entries()).extracting(entry -> entry.message().clientId())
                .containsExactly("stored", "new-1", "stored", "new-2");
        assertThat(read("bob", 0, 10).entries().get(2).message()).isEqualTo(await(fromBob).message());
    }

    @Test
    void append_storesEveryMessageOfBatchesLargerThanOneStatement() throws Exception {
        // Hundreds of appends in one writer batch: the networked stores split them over several
        // multi-row statements of different sizes; every message and entry must come out whole.
        int users = 300;
        int messages = 600;
        CountDownLatch release = holdWriter();
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < messages; i++) {
            appends.add(store.append(request("u" + (i % users), TargetKind.USER, "u" + ((i + 1) % users),
                    "bulk-" + i, "\"" + "x".repeat(i % 50) + "\"")));
        }
        release.countDown();

        long previousId = 0;
        for (int i = 0; i < messages; i++) {
            AppendResult result = await(appends.get(i));
            assertThat(result.duplicate()).isFalse();
            assertThat(result.message().clientId()).isEqualTo("bulk-" + i);
            assertThat(result.message().bodyJson()).isEqualTo("\"" + "x".repeat(i % 50) + "\"");
            assertThat(result.message().id()).as("ids grow in submission order").isGreaterThan(previousId);
            previousId = result.message().id();
        }
        for (int user = 0; user < users; user++) {
            InboxPage inbox = read("u" + user, 0, 100);
            assertThat(seqs(inbox)).as("u%d's inbox", user).isEqualTo(oneTo(4));
            for (InboxEntry entry : inbox.entries()) {
                int index = Integer.parseInt(entry.message().clientId().substring("bulk-".length()));
                assertThat(entry.message()).isEqualTo(await(appends.get(index)).message());
            }
        }
    }

    @Test
    void advanceCursor_keepsMaximum_whenAcksShareABatch() throws Exception {
        for (int i = 0; i < 3; i++) {
            append("bob", TargetKind.USER, "alice");
        }

        CountDownLatch release = holdWriter();
        var acks = List.of(store.advanceCursor("alice", "phone", 2), store.advanceCursor("alice", "phone", 3),
                store.advanceCursor("alice", "phone", 1), store.advanceCursor("alice", "laptop", 1));
        release.countDown();
        for (CompletableFuture<Void> ack : acks) {
            await(ack);
        }

        assertThat(await(store.deviceState("alice", "phone"))).isEqualTo(new DeviceState(3, 3));
        assertThat(await(store.deviceState("alice", "laptop"))).isEqualTo(new DeviceState(1, 3));
    }

    @Test
    void purgeExpired_seesMessagesStoredEarlierInItsBatch() throws Exception {
        // As if run in order: the purge deletes the old entries appended before it in the same batch.
        CountDownLatch release = holdWriter();
        var old = store.append(new AppendRequest("alice", "phone", TargetKind.USER, "bob", "old", "1", 1_000));
        var recent = store.append(new AppendRequest("alice", "phone", TargetKind.USER, "bob", "recent", "2", 5_000));
        var purge = store.purgeExpired(3_000, 0);
        release.countDown();
        await(old);
        await(recent);

        assertThat(await(purge)).as("the old message's entries in alice's and bob's inboxes").isEqualTo(2);
        assertThat(read("bob", 0, 10).entries()).extracting(entry -> entry.message().clientId()).containsExactly("recent");
        assertThat(read("alice", 0, 10).entries()).extracting(entry -> entry.message().clientId()).containsExactly("recent");
    }

    @Test
    void append_returnsDuplicate_whenSenderLeftGroupAndResends() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob"), 10));
        AppendResult sent = await(store.append(request("bob", TargetKind.GROUP, "team", "b-1", "\"x\"")));
        await(groups.leave("team", "bob"));

        AppendResult resend = await(store.append(request("bob", TargetKind.GROUP, "team", "b-1", "\"x\"")));

        assertThat(resend.duplicate()).isTrue();
        assertThat(resend.message()).isEqualTo(sent.message());
        assertThat(resend.recipients()).containsExactlyInAnyOrderElementsOf(sent.recipients());
    }

    /**
     * Occupies the writer until the returned latch is released: writes submitted meanwhile queue up and
     * then run as one batch (the writer drains its queue into a batch).
     */
    private CountDownLatch holdWriter() throws Exception {
        CountDownLatch release = TestDatabase.holdWriter(database, TIMEOUT_SECONDS);
        heldWriters.add(release);
        return release;
    }

    private void reopenStore() {
        store.close();
        openStore();
    }

    private AppendResult append(String sender, TargetKind kind, String target) throws Exception {
        clientIds++;
        return await(store.append(request(sender, kind, target, "c" + clientIds, "\"message " + clientIds + "\"")));
    }

    private AppendResult appendAt(String sender, String target, long createdAt) throws Exception {
        clientIds++;
        return await(store.append(new AppendRequest(sender, "phone", TargetKind.USER, target, "c" + clientIds,
                "\"message\"", createdAt)));
    }

    private static AppendRequest request(String sender, TargetKind kind, String target, String clientId, String body) {
        return new AppendRequest(sender, "phone", kind, target, clientId, body, CREATED_AT);
    }

    private InboxPage read(String userId, long afterSeq, int limit) throws Exception {
        return await(store.readInbox(userId, afterSeq, limit));
    }

    private static long seqOf(AppendResult result, String userId) {
        return result.recipients().stream().filter(recipient -> recipient.userId().equals(userId))
                .mapToLong(Recipient::seq).findFirst()
                .orElseThrow(() -> new AssertionError(userId + " is not a recipient of " + result));
    }

    private static List<Long> seqs(InboxPage page) {
        return page.entries().stream().map(InboxEntry::seq).toList();
    }

    private static List<Long> oneTo(long n) {
        return LongStream.rangeClosed(1, n).boxed().toList();
    }

    static <T> T await(CompletableFuture<T> future) throws Exception {
        try {
            return future.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new AssertionError("store operation failed: " + e.getCause(), e.getCause());
        }
    }

    /** The exception {@code future} failed with, unwrapped; fails the test if it succeeded. */
    static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        Throwable failure = future.handle((value, error) -> error).get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        assertThat(failure).as("the operation should have failed").isNotNull();
        return failure instanceof CompletionException && failure.getCause() != null ? failure.getCause() : failure;
    }

    static void assertRejected(Throwable failure, ErrorCode code) {
        assertThat(failure).isInstanceOf(RequestRejectedException.class);
        assertThat(((RequestRejectedException) failure).code()).isEqualTo(code);
    }
}
