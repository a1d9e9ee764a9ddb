package dev.switchboard.client;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * One {@code send} kept until its {@code sent} arrives: the exact frame text (same {@code ref} and
 * {@code clientId} on every transmission), the future to complete, its place in the call order, and a
 * retry hold. Mutable state is confined to the client's event loop.
 */
final class PendingSend {
    private final String ref;
    private final String clientId;
    private final String frameText;
    private final int frameBytes;
    private final CompletableFuture<SendReceipt> future;
    private long order = -1;
    private int transmissions;
    private int retries;
    private boolean held;
    private long holdUntilNanos;

    /**
     * @param ref       the request reference written into {@code frameText}; unique per client
     * @param clientId  the message's client id written into {@code frameText}
     * @param frameText the complete JSON {@code send} message
     * @param future    completed with the receipt, or failed with a {@link SwitchboardException}
     */
    PendingSend(String ref, String clientId, String frameText, CompletableFuture<SendReceipt> future) {
        this.ref = ref;
        this.clientId = clientId;
        this.frameText = frameText;
        this.frameBytes = frameText.getBytes(StandardCharsets.UTF_8).length;
        this.future = future;
    }

    String ref() {
        return ref;
    }

    String clientId() {
        return clientId;
    }

    String frameText() {
        return frameText;
    }

    /** UTF-8 size of the frame, compared with the server's {@code maxMessageBytes}. */
    int frameBytes() {
        return frameBytes;
    }

    CompletableFuture<SendReceipt> future() {
        return future;
    }

    /** The place in the call order given by {@link PendingSends#offer}: 0, 1, 2 …; -1 before. */
    long order() {
        return order;
    }

    void assignOrder(long value) {
        order = value;
    }

    /** How many times the frame has been written to a connection. */
    int transmissions() {
        return transmissions;
    }

    void countTransmission() {
        transmissions++;
    }

    /** Returns the retry number (0, 1, …) for a retryable error and counts it. */
    int nextRetry() {
        return retries++;
    }

    /** Holds the next transmission until {@code nanos} (a {@link System#nanoTime()} value): the retry delay. */
    void holdUntil(long nanos) {
        held = true;
        holdUntilNanos = nanos;
    }

    void releaseHold() {
        held = false;
    }

    /** How long after {@code nowNanos} the hold ends; 0 when there is none or it has passed. */
    long nanosHeld(long nowNanos) {
        return held ? Math.max(0, holdUntilNanos - nowNanos) : 0;
    }
}
