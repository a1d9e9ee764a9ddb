package dev.switchboard.server.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Durable messages, per-user inboxes with gap-free sequence numbers, and per-device cursors.
 *
 * <p>Every method returns at once; its future completes on a store thread, so dependent stages must
 * not block and should hand off to the caller's own executor (a Netty event loop) for real work.
 * A future fails with {@link StoreBusyException} when the write queue is full, with
 * {@link StoreException} when the store fails, and with
 * {@link dev.switchboard.server.RequestRejectedException} for a request that is not allowed.
 */
public interface MessageStore extends AutoCloseable {

    /**
     * Stores a message and appends it to the inbox of every recipient — the target user, or every
     * member of the target group — and of the sender. Completes only after the message and all its
     * inbox entries are committed. Appends are applied in call order, so messages from one sender
     * keep their order. Idempotent on {@code (senderId, clientId)}: a repeat completes with the
     * original message and {@code duplicate = true}, creating nothing.
     */
    CompletableFuture<AppendResult> append(AppendRequest request);

    /** Reads up to {@code limit} entries with {@code seq > afterSeq}, in seq order, in one snapshot. */
    CompletableFuture<InboxPage> readInbox(String userId, long afterSeq, int limit);

    /**
     * The device's cursor (0 if it never acknowledged) and the user's newest seq, as of no earlier than
     * the last write whose future completed before this call. May be already complete when returned
     * (answered from memory), so the caller's continuation may run on the calling thread.
     */
    CompletableFuture<DeviceState> deviceState(String userId, String deviceId);

    /** Moves the device's cursor to {@code max(cursor, seq)}. */
    CompletableFuture<Void> advanceCursor(String userId, String deviceId, long seq);

    /**
     * Deletes inbox entries older than {@code olderThanMillis} (0 = no age limit) and beyond the
     * newest {@code keepPerUser} of each inbox (0 = no count limit), then messages no inbox refers to.
     * Completes with the number of inbox entries deleted. Sequence numbers are never reused.
     */
    CompletableFuture<Long> purgeExpired(long olderThanMillis, long keepPerUser);

    /**
     * Up to {@code limit} users who share a group or a 1:1 conversation with {@code userId} (not
     * {@code userId} itself): the audience of its presence events. A 1:1 conversation counts from its
     * first stored message on, also after retention purged its messages.
     */
    CompletableFuture<List<String>> contactsOf(String userId, int limit);

    /** True while the store accepts and commits writes. Cheap; called by the readiness probe. */
    boolean isHealthy();

    /** Commits what is queued, then releases every resource. */
    @Override
    void close();
}
