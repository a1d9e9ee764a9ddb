package dev.switchboard.server.store;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One row of the embedded store's {@code inbox_run}: a user's inbox entries at the consecutive seqs
 * {@code firstSeq} to {@link #lastSeq()}, the entry at {@code firstSeq + i} referring to message
 * {@code messageIds[i]}. Message ids grow with seq (one writer allocates both, in the same order), so a
 * message's entry is found by binary search.
 *
 * @param messageIds not empty; the array is owned by the run and not copied
 */
record InboxRun(long firstSeq, long[] messageIds) {
    /**
     * Entries in one run at most: 3,840 bytes of ids, so that a full run with its other columns stays
     * within the 4,061 bytes SQLite keeps on a 4 KiB leaf page, without an overflow page to read too.
     */
    static final int MAX_ENTRIES = 480;

    InboxRun {
        if (messageIds.length == 0 || messageIds.length > MAX_ENTRIES) {
            throw new IllegalArgumentException("a run holds 1 to " + MAX_ENTRIES + " entries: " + messageIds.length);
        }
    }

    long lastSeq() {
        return firstSeq + messageIds.length - 1;
    }

    long firstMessageId() {
        return messageIds[0];
    }

    long lastMessageId() {
        return messageIds[messageIds.length - 1];
    }

    /** The message ids as stored in the {@code message_ids} column: 8 bytes each, big-endian. */
    byte[] packedMessageIds() {
        ByteBuffer packed = ByteBuffer.allocate(messageIds.length * Long.BYTES);
        for (long messageId : messageIds) {
            packed.putLong(messageId);
        }
        return packed.array();
    }

    /** The run stored as {@code firstSeq} and {@code packed} ({@link #packedMessageIds}). */
    static InboxRun unpack(long firstSeq, byte[] packed) {
        if (packed.length == 0 || packed.length % Long.BYTES != 0) {
            throw new IllegalStateException("corrupt inbox run at seq " + firstSeq + ": " + packed.length + " bytes");
        }
        ByteBuffer buffer = ByteBuffer.wrap(packed);
        long[] messageIds = new long[packed.length / Long.BYTES];
        for (int i = 0; i < messageIds.length; i++) {
            messageIds[i] = buffer.getLong();
        }
        return new InboxRun(firstSeq, messageIds);
    }

    /** The seq of the entry referring to {@code messageId}, or 0 if this run has none. */
    long seqOf(long messageId) {
        int index = Arrays.binarySearch(messageIds, messageId);
        return index >= 0 ? firstSeq + index : 0;
    }

    /** How many entries at the head of the run refer to messages up to {@code messageId}: its expired head, by age. */
    int countUpToMessage(long messageId) {
        int count = 0;
        while (count < messageIds.length && messageIds[count] <= messageId) {
            count++;
        }
        return count;
    }

    /** The entries after the first {@code count}, as a run (count less than the run's size). */
    InboxRun withoutFirst(int count) {
        return new InboxRun(firstSeq + count, Arrays.copyOfRange(messageIds, count, messageIds.length));
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof InboxRun run && run.firstSeq == firstSeq && Arrays.equals(run.messageIds, messageIds);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(firstSeq) * 31 + Arrays.hashCode(messageIds);
    }

    @Override
    public String toString() {
        return "InboxRun[" + firstSeq + ".." + lastSeq() + "]";
    }
}
