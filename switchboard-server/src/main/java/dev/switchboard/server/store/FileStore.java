package dev.switchboard.server.store;

import dev.switchboard.protocol.TargetKind;
import java.util.concurrent.CompletableFuture;

/**
 * Files (R14): uploads stored chunk by chunk, each chunk durable before it is acknowledged, readable
 * from any node that shares the store. Same threading and failure contract as {@link MessageStore}:
 * every method returns at once and completes off the caller's thread; a refusal the client must hear
 * of completes with {@link dev.switchboard.server.RequestRejectedException} (nothing was changed), a
 * store failure with {@link StoreException} or {@link StoreBusyException}.
 *
 * <p>A message carries a file through {@link MessageStore#append} ({@link AppendRequest#withFile}), which
 * checks the file and grants its recipients the right to download it in the message's transaction.
 *
 * <p>The chunks of a file are contiguous: a chunk is stored only at the upload's current offset, so a
 * resent chunk whose first copy was stored is refused ({@code upload_offset}), never stored twice.
 */
public interface FileStore {

    /**
     * Starts an upload of {@code file} (with {@code received} 0). Refused with {@code upload_limit} when
     * its owner already has {@code maxOpenUploads} uploads that are not complete. With a {@code clientId}
     * that its owner gave an upload before, completes with that upload as it is now instead: a start whose
     * answer was lost with the connection, sent again, starts nothing new.
     *
     * @param clientId the uploader's key for this upload (as a send's client id), or null for none
     */
    CompletableFuture<StoredFile> create(StoredFile file, String clientId, int maxOpenUploads);

    /**
     * Deletes the owner's upload, which must not be complete ({@code invalid_field}: messages may carry a
     * complete file), with its chunks; {@code file_not_found} as for {@link #status}.
     */
    CompletableFuture<Void> cancel(String fileId, String ownerId);

    /** The owner's upload; {@code file_not_found} if there is none (unknown, purged, or another user's). */
    CompletableFuture<StoredFile> status(String fileId, String ownerId);

    /**
     * Stores {@code data} at {@code offset}, which must be the upload's current offset
     * ({@code upload_offset} otherwise), not past its size ({@code invalid_field}); completes with the
     * upload as it is after the commit. {@code file_not_found} as for {@link #status}.
     */
    CompletableFuture<StoredFile> appendChunk(String fileId, String ownerId, long offset, byte[] data);

    /**
     * The file if {@code userId} may download it — its owner, a user it was shared with, or a current
     * member of a group it was shared with — and it is complete; else null (not an error: the HTTP
     * answer is the same 404 whether the file exists or not).
     */
    CompletableFuture<StoredFile> readable(String fileId, String userId);

    /**
     * The stored bytes of the file from {@code offset} to the end of the chunk that holds it (at most a
     * chunk: a download reads one at a time); empty at or past the end.
     */
    CompletableFuture<byte[]> read(String fileId, long offset);

    /**
     * Deletes uploads not complete that started before {@code incompleteStartedBefore}, and complete files
     * completed before {@code completedBefore} (0: none), with their chunks and grants; completes with
     * how many files were deleted.
     */
    CompletableFuture<Integer> purge(long incompleteStartedBefore, long completedBefore);
}
