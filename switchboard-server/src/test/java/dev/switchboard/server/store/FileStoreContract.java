package dev.switchboard.server.store;

import static dev.switchboard.server.store.MessageStoreContract.assertRejected;
import static dev.switchboard.server.store.MessageStoreContract.await;
import static dev.switchboard.server.store.MessageStoreContract.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.TargetKind;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link FileStore} contract, run against SQLite, MariaDB and PostgreSQL. Each test starts empty. */
abstract class FileStoreContract {
    static final int MAX_OPEN = 3;
    static final long NOW = 1_700_000_000_000L;

    /** Opens the database under test: empty at a test's first call, the same data on later calls. */
    protected abstract JdbcDatabase openDatabase();

    private JdbcDatabase database;
    JdbcFileStore files;
    private JdbcGroupStore groups;
    private JdbcMessageStore messages;
    private int fileNumber;

    @BeforeEach
    void open() {
        database = openDatabase();
        files = new JdbcFileStore(database);
        groups = new JdbcGroupStore(database);
        messages = new JdbcMessageStore(database);
    }

    @AfterEach
    void close() {
        database.close();
        releaseDatabase();
    }

    /** Called after the store is closed: drop whatever {@link #openDatabase()} created. */
    protected void releaseDatabase() {
    }

    @Test
    void chunks_storedInOrder_readBackWhole_andTheLastCompletesTheFile() throws Exception {
        byte[] content = randomBytes(150_000);
        StoredFile upload = await(files.create(newUpload("alice", content.length, NOW), null, MAX_OPEN));
        assertThat(upload.isComplete()).isFalse();

        StoredFile stored = upload;
        for (int offset = 0; offset < content.length; offset += 64_512) {
            int length = Math.min(64_512, content.length - offset);
            stored = await(files.appendChunk(upload.id(), "alice", offset, slice(content, offset, length)));
            assertThat(stored.received()).isEqualTo(offset + length);
        }

        assertThat(stored.isComplete()).isTrue();
        assertThat(stored.completedAt()).isPositive();
        assertThat(await(files.status(upload.id(), "alice"))).isEqualTo(stored);
        assertThat(readAll(upload.id(), 0)).isEqualTo(content);
        assertThat(readAll(upload.id(), 100_000)).as("from inside the second chunk")
                .isEqualTo(slice(content, 100_000, content.length - 100_000));
        assertThat(await(files.read(upload.id(), content.length))).as("at the end").isEmpty();
    }

    @Test
    void appendChunk_refusesAnOffsetThatIsNotTheNext_andStoresNothing() throws Exception {
        StoredFile upload = await(files.create(newUpload("alice", 10, NOW), null, MAX_OPEN));
        await(files.appendChunk(upload.id(), "alice", 0, new byte[] {1, 2, 3, 4}));

        assertRejected(failureOf(files.appendChunk(upload.id(), "alice", 0, new byte[] {9, 9, 9, 9})),
                ErrorCode.UPLOAD_OFFSET); // a resent chunk whose first copy was stored
        assertRejected(failureOf(files.appendChunk(upload.id(), "alice", 6, new byte[] {9})), ErrorCode.UPLOAD_OFFSET);
        assertRejected(failureOf(files.appendChunk(upload.id(), "alice", 4, new byte[7])), ErrorCode.INVALID_FIELD);

        assertThat(await(files.status(upload.id(), "alice")).received()).isEqualTo(4);
        StoredFile done = await(files.appendChunk(upload.id(), "alice", 4, new byte[] {5, 6, 7, 8, 9, 10}));
        assertThat(done.isComplete()).isTrue();
        assertRejected(failureOf(files.appendChunk(upload.id(), "alice", 4, new byte[] {5, 6, 7, 8, 9, 10})),
                ErrorCode.UPLOAD_OFFSET); // the last chunk resent: the client learns from the status that it is complete
        assertRejected(failureOf(files.appendChunk(upload.id(), "alice", 10, new byte[] {1})), ErrorCode.INVALID_FIELD);
        assertThat(readAll(upload.id(), 0)).containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
    }

    @Test
    void anotherUsersUpload_isNotFound() throws Exception {
        StoredFile upload = await(files.create(newUpload("alice", 10, NOW), null, MAX_OPEN));

        assertRejected(failureOf(files.status(upload.id(), "mallory")), ErrorCode.FILE_NOT_FOUND);
        assertRejected(failureOf(files.appendChunk(upload.id(), "mallory", 0, new byte[] {1})), ErrorCode.FILE_NOT_FOUND);
        assertRejected(failureOf(send("mallory", TargetKind.USER, "mallory", upload.id())), ErrorCode.FILE_NOT_FOUND);
        assertRejected(failureOf(files.status("f-00000000000000000000000000000000", "alice")), ErrorCode.FILE_NOT_FOUND);
        assertThat(await(files.status(upload.id(), "alice")).received()).isZero();
    }

    @Test
    void create_refusesOverTheOpenUploadLimit_evenWithinOneBatch_andACompletedUploadFreesItsPlace() throws Exception {
        List<CompletableFuture<StoredFile>> started = new ArrayList<>();
        for (int i = 0; i < MAX_OPEN + 2; i++) { // submitted together: the writer may commit them in one batch
            started.add(files.create(newUpload("alice", 1, NOW), null, MAX_OPEN));
        }
        int refused = 0;
        StoredFile first = null;
        for (CompletableFuture<StoredFile> upload : started) {
            if (upload.handle((file, error) -> error).join() != null) {
                assertRejected(failureOf(upload), ErrorCode.UPLOAD_LIMIT);
                refused++;
            } else if (first == null) {
                first = upload.join();
            }
        }
        assertThat(refused).isEqualTo(2);
        assertThat(await(files.create(newUpload("bob", 1, NOW), null, MAX_OPEN))).as("another user's count").isNotNull();

        await(files.appendChunk(first.id(), "alice", 0, new byte[] {42}));
        assertThat(await(files.create(newUpload("alice", 1, NOW), null, MAX_OPEN))).isNotNull();
    }

    @Test
    void create_withAClientIdGivenBefore_answersThatUpload_asItIsNow() throws Exception {
        StoredFile first = await(files.create(newUpload("alice", 10, NOW), "start-1", 1));
        await(files.appendChunk(first.id(), "alice", 0, new byte[4]));

        StoredFile again = await(files.create(newUpload("alice", 10, NOW), "start-1", 1)); // at the limit: still answered
        assertThat(again.id()).isEqualTo(first.id());
        assertThat(again.received()).isEqualTo(4);
        StoredFile bobs = await(files.create(newUpload("bob", 10, NOW), "start-1", 1));
        assertThat(bobs.id()).as("another user's key").isNotEqualTo(first.id());
        assertRejected(failureOf(files.create(newUpload("alice", 10, NOW), "start-2", 1)), ErrorCode.UPLOAD_LIMIT);
    }

    @Test
    void cancel_deletesAnIncompleteUploadAndFreesItsPlace_butKeepsACompleteFile() throws Exception {
        StoredFile open = await(files.create(newUpload("alice", 10, NOW), null, 1));
        await(files.appendChunk(open.id(), "alice", 0, new byte[4]));
        assertRejected(failureOf(files.create(newUpload("alice", 10, NOW), null, 1)), ErrorCode.UPLOAD_LIMIT);

        assertRejected(failureOf(files.cancel(open.id(), "mallory")), ErrorCode.FILE_NOT_FOUND);
        await(files.cancel(open.id(), "alice"));
        assertRejected(failureOf(files.status(open.id(), "alice")), ErrorCode.FILE_NOT_FOUND);
        assertThat(await(files.read(open.id(), 0))).as("its chunks").isEmpty();
        assertRejected(failureOf(files.cancel(open.id(), "alice")), ErrorCode.FILE_NOT_FOUND);
        StoredFile next = await(files.create(newUpload("alice", 1, NOW), null, 1));
        assertThat(next).as("its place is free again").isNotNull();

        StoredFile complete = await(files.appendChunk(next.id(), "alice", 0, new byte[] {9}));
        assertRejected(failureOf(files.cancel(complete.id(), "alice")), ErrorCode.INVALID_FIELD);
        assertThat(await(files.readable(complete.id(), "alice"))).isEqualTo(complete);
    }

    @Test
    void readable_byOwner_andByTheUserOrCurrentGroupMembersItWasSharedWith_only() throws Exception {
        StoredFile direct = completeUpload("alice", new byte[] {1, 2, 3});
        StoredFile forGroup = completeUpload("alice", new byte[] {4, 5});
        await(groups.create("team", "Team", "alice", List.of("bob", "carol"), 10));

        assertThat(await(files.readable(direct.id(), "alice"))).as("the owner").isNotNull();
        assertThat(await(files.readable(direct.id(), "bob"))).as("before it was sent").isNull();

        AppendResult sent = await(send("alice", TargetKind.USER, "bob", direct.id()));
        assertThat(sent.message().fileJson()).isEqualTo(direct.descriptionJson());
        await(send("alice", TargetKind.USER, "bob", direct.id())); // sent twice: one grant
        await(send("alice", TargetKind.GROUP, "team", forGroup.id()));

        assertThat(await(files.readable(direct.id(), "bob"))).isEqualTo(direct);
        assertThat(await(files.readable(direct.id(), "carol"))).as("not sent to carol").isNull();
        assertThat(await(files.readable(forGroup.id(), "carol"))).as("a member").isNotNull();
        assertThat(await(files.readable(forGroup.id(), "mallory"))).as("not a member").isNull();

        await(groups.leave("team", "carol"));
        await(groups.join("team", "dave", 10));
        assertThat(await(files.readable(forGroup.id(), "carol"))).as("left the group").isNull();
        assertThat(await(files.readable(forGroup.id(), "dave"))).as("joined later").isNotNull();
        assertThat(await(files.readable("f-00000000000000000000000000000000", "alice"))).isNull();
    }

    @Test
    void aMessageWithAFile_refusesAnIncompleteUpload_andAGroupTheOwnerIsNotIn() throws Exception {
        StoredFile partial = await(files.create(newUpload("alice", 10, NOW), null, MAX_OPEN));
        await(files.appendChunk(partial.id(), "alice", 0, new byte[5]));
        StoredFile complete = completeUpload("alice", new byte[] {1});
        await(groups.create("others", "Others", "bob", List.of(), 10));

        assertRejected(failureOf(send("alice", TargetKind.USER, "bob", partial.id())), ErrorCode.FILE_INCOMPLETE);
        assertThat(await(files.readable(partial.id(), "alice"))).as("incomplete: not downloadable").isNull();
        assertRejected(failureOf(send("alice", TargetKind.GROUP, "others", complete.id())), ErrorCode.NOT_GROUP_MEMBER);
        assertRejected(failureOf(send("alice", TargetKind.GROUP, "nowhere", complete.id())), ErrorCode.GROUP_NOT_FOUND);
        assertThat(await(files.readable(complete.id(), "bob"))).isNull();
    }

    @Test
    void purge_deletesStaleIncompleteUploads_andOldCompleteFiles_withTheirChunksAndGrants() throws Exception {
        StoredFile stale = await(files.create(newUpload("alice", 10, NOW - 10_000), null, MAX_OPEN));
        await(files.appendChunk(stale.id(), "alice", 0, new byte[3]));
        StoredFile fresh = await(files.create(newUpload("alice", 10, NOW + 10_000), null, MAX_OPEN));
        StoredFile complete = completeUpload("alice", new byte[] {7, 7});
        await(send("alice", TargetKind.USER, "bob", complete.id()));
        List<StoredFile> many = new ArrayList<>();
        for (int i = 0; i < JdbcFileStore.PURGE_BATCH + 5; i++) { // more than one batch
            many.add(await(files.create(newUpload("user" + i, 1, NOW - 20_000), null, MAX_OPEN)));
        }

        assertThat(await(files.purge(NOW, 0))).isEqualTo(many.size() + 1);
        assertRejected(failureOf(files.status(stale.id(), "alice")), ErrorCode.FILE_NOT_FOUND);
        assertThat(await(files.read(stale.id(), 0))).as("its chunks").isEmpty();
        assertThat(await(files.status(fresh.id(), "alice"))).as("still within its time").isEqualTo(fresh);
        assertThat(await(files.readable(complete.id(), "bob"))).as("complete, kept without an age limit").isNotNull();

        assertThat(await(files.purge(NOW, Long.MAX_VALUE))).isEqualTo(1);
        assertThat(await(files.readable(complete.id(), "alice"))).isNull();
        assertThat(await(files.read(complete.id(), 0))).isEmpty();
        StoredFile again = completeUpload("alice", new byte[] {1});
        assertThat(await(files.readable(again.id(), "bob"))).as("no grant left behind").isNull();
    }

    @Test
    void aMessageWithAFile_keepsItsPlaceAmongTheSendersMessages_andItsResendIsADuplicateEvenOnceTheFileIsGone()
            throws Exception {
        StoredFile file = completeUpload("alice", new byte[] {1, 2});
        // Submitted together, as a client's sends are: the file's checks and grant must not delay its message.
        CompletableFuture<AppendResult> withFile = messages.append(AppendRequest.withFile("alice", "phone",
                TargetKind.USER, "bob", "with-file", "\"the photo\"", NOW, file.id()));
        CompletableFuture<AppendResult> after = messages.append(new AppendRequest("alice", "phone", TargetKind.USER, "bob",
                "after", "\"look at it\"", NOW));
        assertThat(await(withFile).message().id()).isLessThan(await(after).message().id());
        assertThat(await(withFile).message().fileJson()).isEqualTo(file.descriptionJson());
        assertThat(await(after).message().fileJson()).isNull();
        InboxPage inbox = await(messages.readInbox("bob", 0, 10));
        assertThat(inbox.entries()).extracting(entry -> entry.message().clientId()).containsExactly("with-file", "after");
        assertThat(inbox.entries().get(0).message().fileJson()).as("read back from the store").isEqualTo(file.descriptionJson());

        await(files.purge(NOW, Long.MAX_VALUE));
        AppendResult resent = await(messages.append(AppendRequest.withFile("alice", "phone", TargetKind.USER, "bob",
                "with-file", "\"the photo\"", NOW, file.id())));
        assertThat(resent.duplicate()).isTrue();
        assertThat(resent.message().fileJson()).isEqualTo(file.descriptionJson());
    }

    private CompletableFuture<AppendResult> send(String sender, TargetKind kind, String target, String fileId) {
        return messages.append(AppendRequest.withFile(sender, "phone", kind, target, "c-" + (++fileNumber), "null",
                NOW, fileId));
    }

    private StoredFile completeUpload(String owner, byte[] content) throws Exception {
        StoredFile upload = await(files.create(newUpload(owner, content.length, NOW), null, MAX_OPEN));
        return await(files.appendChunk(upload.id(), owner, 0, content));
    }

    StoredFile newUpload(String owner, long size, long createdAt) {
        String id = String.format("f-%032x", ++fileNumber);
        return new StoredFile(id, owner, "file " + fileNumber + ".bin", "application/octet-stream", size, 0, createdAt, 0);
    }

    byte[] readAll(String fileId, long from) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        long position = from;
        while (true) {
            byte[] part = await(files.read(fileId, position));
            if (part.length == 0) {
                return out.toByteArray();
            }
            out.write(part);
            position += part.length;
        }
    }

    private static byte[] slice(byte[] content, int offset, int length) {
        byte[] part = new byte[length];
        System.arraycopy(content, offset, part, 0, length);
        return part;
    }

    private static byte[] randomBytes(int length) {
        byte[] bytes = new byte[length];
        new Random(length).nextBytes(bytes);
        return bytes;
    }
}
