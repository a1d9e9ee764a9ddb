package dev.switchboard.server.store;

import static dev.switchboard.server.store.MessageStoreContract.assertRejected;
import static dev.switchboard.server.store.MessageStoreContract.await;
import static dev.switchboard.server.store.MessageStoreContract.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.ErrorCode;
import java.io.ByteArrayOutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link FileStoreContract} and what only a store that several nodes share must also do: two nodes that
 * store a chunk of the same upload at the same offset at once (a client that resent it through another
 * node) cannot both succeed. Run on MariaDB and PostgreSQL.
 */
abstract class SharedFileStoreContract extends FileStoreContract {

    @Test
    void twoNodesStoringAChunkAtTheSameOffset_oneSucceeds_andTheOtherIsRefused() throws Exception {
        JdbcDatabase secondNode = openDatabase();
        try {
            JdbcFileStore other = new JdbcFileStore(secondNode);
            StoredFile upload = await(files.create(newUpload("alice", 40, NOW), null, MAX_OPEN));
            ByteArrayOutputStream winners = new ByteArrayOutputStream();
            for (int round = 0; round < 10; round++) {
                byte[] fromFirst = {(byte) round, 1, 1, 1};
                byte[] fromSecond = {(byte) round, 2, 2, 2};
                CompletableFuture<StoredFile> first = files.appendChunk(upload.id(), "alice", round * 4L, fromFirst);
                CompletableFuture<StoredFile> second = other.appendChunk(upload.id(), "alice", round * 4L, fromSecond);
                Throwable firstError = first.handle((file, error) -> error).get(60, TimeUnit.SECONDS);
                Throwable secondError = second.handle((file, error) -> error).get(60, TimeUnit.SECONDS);
                assertThat(firstError == null ^ secondError == null).as("round %d: exactly one stored", round).isTrue();
                assertRejected(failureOf(firstError == null ? second : first), ErrorCode.UPLOAD_OFFSET);
                winners.write(firstError == null ? fromFirst : fromSecond);
            }
            assertThat(await(files.status(upload.id(), "alice")).isComplete()).isTrue();
            assertThat(readAll(upload.id(), 0)).isEqualTo(winners.toByteArray());
        } finally {
            secondNode.close();
        }
    }
}
