package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the client sent and waits for a reply to: chat sends (kept across reconnects until
 * {@code sent}, resent in order with the same client id) and requests such as group operations and pings
 * (tied to one connection: failed when it ends, never resent, because a retried {@code group.join}
 * could act twice).
 *
 * <p>Sends are transmitted strictly in the order they were made, paced by a {@link SendTokenBucket} set
 * from each {@code welcome}'s {@code sendsPerSecond} and {@code sendBurst} (unlimited when the server
 * advertises none), so a burst of sends is spread out instead of refused with {@code rate_limited}. The
 * {@link SendPacer} decides; when it says "not yet", one transmission attempt is scheduled on the event
 * loop for the moment it names, and dropped when the connection changes. After a reconnect every pending
 * send goes through the same pacing again, in call order, before any newer one.
 *
 * <p>A send refused with a retryable error ({@link ErrorCode#isRetryable()}) stays pending and goes out
 * again after a backoff delay; until then no later send that has not gone out yet is transmitted, so
 * none of those can be stored before it. Sends transmitted after it before the error arrived cannot be
 * recalled and may be stored first (docs/PROTOCOL.md section 4, "Order").
 *
 * <p>Not thread-safe: confined to the client's event loop. Futures are completed on it.
 */
final class OutboundMessages {
    private static final Logger log = LoggerFactory.getLogger(OutboundMessages.class);

    private final PendingSends sends;
    private final SendPacer pacer;
    private final Map<String, CompletableFuture<JsonNode>> requests = new HashMap<>();
    private final StatsCounters stats;
    private final Backoff retryBackoff;
    private final ScheduledExecutorService scheduler;
    private final int maxPendingSends;
    private Connection ready;
    private long maxMessageBytes = Long.MAX_VALUE;
    private ScheduledFuture<?> transmitTimer;
    private long transmitDeadlineNanos;

    OutboundMessages(int maxPendingSends, StatsCounters stats, Backoff retryBackoff, ScheduledExecutorService scheduler) {
        this.sends = new PendingSends(maxPendingSends);
        this.pacer = new SendPacer(sends);
        this.maxPendingSends = maxPendingSends;
        this.stats = stats;
        this.retryBackoff = retryBackoff;
        this.scheduler = scheduler;
    }

    /**
     * Queues a send after all earlier ones; it goes out when a connection is ready and the pacing allows,
     * else after the next {@code welcome}.
     */
    void submitSend(PendingSend send) {
        if (!sends.offer(send)) {
            send.future().completeExceptionally(
                    new SwitchboardException("too many pending sends (maxPendingSends " + maxPendingSends + ")"));
            return;
        }
        if (ready != null && !failIfTooLarge(send)) {
            transmitDue();
        }
    }

    /** Sends a request on the ready connection, or fails {@code future} at once when there is none. */
    void submitRequest(String ref, String frameText, CompletableFuture<JsonNode> future) {
        if (ready == null || !ready.isReady()) {
            future.completeExceptionally(new SwitchboardException("not connected"));
            return;
        }
        requests.put(ref, future);
        ready.write(frameText);
    }

    /**
     * Sends a file chunk (a binary frame) on the ready connection once the pacing has a token for it, and
     * routes its reply, like a request's, to {@code future}; fails it when there is no connection, or when
     * the connection ends before the chunk went out.
     */
    void submitChunk(String ref, byte[] frame, CompletableFuture<JsonNode> future) {
        Connection connection = ready;
        if (connection == null || !connection.isReady()) {
            future.completeExceptionally(new SwitchboardException("not connected"));
            return;
        }
        long now = System.nanoTime();
        if (!pacer.tryTakeToken(now)) {
            scheduler.schedule(() -> {
                if (ready == connection) {
                    submitChunk(ref, frame, future);
                } else {
                    future.completeExceptionally(new SwitchboardException("connection lost before the chunk was sent"));
                }
            }, Math.max(1, pacer.nanosUntilToken(now)), TimeUnit.NANOSECONDS);
            return;
        }
        requests.put(ref, future);
        connection.writeBinary(frame);
    }

    /**
     * A {@code welcome} arrived on {@code connection}: (re)send every pending send in order, paced by a
     * full bucket for the welcome's limit.
     *
     * @param serverMaxMessageBytes {@code welcome.maxMessageBytes}; 0 when absent (no check)
     * @param sendsPerSecond        {@code welcome.sendsPerSecond}; 0 when absent (no pacing)
     * @param sendBurst             {@code welcome.sendBurst}; 0 when absent (counts as 1)
     */
    void onConnected(Connection connection, long serverMaxMessageBytes, int sendsPerSecond, int sendBurst) {
        cancelTransmitTimer();
        ready = connection;
        maxMessageBytes = serverMaxMessageBytes > 0 ? serverMaxMessageBytes : Long.MAX_VALUE;
        for (PendingSend send : sends.inOrder()) {
            failIfTooLarge(send);
        }
        SendTokenBucket bucket = SendTokenBucket.forServerLimit(sendsPerSecond, sendBurst, System.nanoTime());
        if (!bucket.isUnlimited()) {
            log.debug("{}: pacing sends to {}/s with a burst of {}", connection, sendsPerSecond, sendBurst);
        }
        pacer.restart(bucket);
        transmitDue();
    }

    /** The connection ended: requests on it fail with {@code cause}; sends stay pending. */
    void onDisconnected(SwitchboardException cause) {
        ready = null;
        cancelTransmitTimer();
        failRequests(cause);
    }

    /** The client is closed: every send and request fails with {@code cause}. */
    void failAll(SwitchboardException cause) {
        ready = null;
        cancelTransmitTimer();
        failRequests(cause);
        for (PendingSend send : sends.drain()) {
            send.future().completeExceptionally(cause);
        }
    }

    /** Completes the send a {@code sent} confirms. */
    void onSent(JsonNode sent) {
        String ref = Wire.text(sent, "ref");
        PendingSend send = sends.takeConfirmed(ref, Wire.text(sent, "clientId"));
        if (send == null) {
            completeRequest(ref, sent);
            return;
        }
        SendReceipt receipt = Wire.receipt(sent);
        if (receipt.clientId() == null) {
            receipt = new SendReceipt(send.clientId(), receipt.messageId(), receipt.timestamp(), receipt.seq(),
                    receipt.duplicate());
        }
        send.future().complete(receipt);
    }

    /** Completes the request a {@code result} or {@code pong} answers; unknown refs are ignored. */
    void onReply(JsonNode reply, JsonNode value) {
        completeRequest(Wire.text(reply, "ref"), value);
    }

    /**
     * Routes an {@code error} reply to the send or request with its ref.
     *
     * @return false when nothing waits for it; the caller reports it to the listener
     */
    boolean onError(String ref, SwitchboardException error) {
        PendingSend send = sends.get(ref);
        if (send != null) {
            if (error.code() != null && error.code().isRetryable()) {
                holdForRetry(send, error.code());
            } else {
                sends.remove(send);
                send.future().completeExceptionally(error);
            }
            return true;
        }
        CompletableFuture<JsonNode> request = ref == null ? null : requests.remove(ref);
        if (request == null) {
            return false;
        }
        request.completeExceptionally(error);
        return true;
    }

    int pendingSendCount() {
        return sends.size();
    }

    /**
     * Transmits every due send the pacer allows now, in call order, on the ready connection; if one is due
     * but not allowed yet, makes sure an attempt is scheduled for when it will be.
     */
    private void transmitDue() {
        Connection connection = ready;
        if (connection == null || !connection.isReady()) {
            return;
        }
        long now = System.nanoTime();
        for (PendingSend send = pacer.poll(now); send != null; send = pacer.poll(now)) {
            if (send.transmissions() > 0) {
                stats.countResent();
            }
            send.countTransmission();
            connection.write(send.frameText());
        }
        long waitNanos = pacer.nanosUntilNext(now);
        if (waitNanos != SendPacer.NOTHING_DUE) {
            scheduleTransmitDue(connection, now, waitNanos);
        }
    }

    /** Keeps one scheduled attempt, the earliest needed: a later one is replaced, an earlier one kept. */
    private void scheduleTransmitDue(Connection connection, long nowNanos, long delayNanos) {
        long deadline = nowNanos + delayNanos;
        if (transmitTimer != null) {
            if (transmitDeadlineNanos - deadline <= 0) {
                return; // It fires no later than needed, and schedules again if it is too early.
            }
            transmitTimer.cancel(false);
        }
        transmitDeadlineNanos = deadline;
        transmitTimer = scheduler.schedule(() -> {
            transmitTimer = null;
            if (ready == connection) {
                transmitDue();
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void cancelTransmitTimer() {
        if (transmitTimer != null) {
            transmitTimer.cancel(false);
            transmitTimer = null;
        }
    }

    private void holdForRetry(PendingSend send, ErrorCode code) {
        long now = System.nanoTime();
        long delayNanos = retryBackoff.delay(send.nextRetry()).toNanos();
        log.debug("send {} refused with {}; retrying in {} ms, later sends wait for it", send.clientId(),
                code.wireName(), TimeUnit.NANOSECONDS.toMillis(delayNanos));
        pacer.holdForRetry(send, now + delayNanos, code == ErrorCode.RATE_LIMITED, now);
        transmitDue();
    }

    /**
     * Fails {@code send} if it is larger than the server's {@code maxMessageBytes}: the server would close
     * the connection with 1009, and again after every reconnect.
     *
     * @return true when it was failed and removed
     */
    private boolean failIfTooLarge(PendingSend send) {
        if (send.frameBytes() <= maxMessageBytes) {
            return false;
        }
        sends.remove(send);
        send.future().completeExceptionally(new SwitchboardException(ErrorCode.PAYLOAD_TOO_LARGE,
                "message of " + send.frameBytes() + " bytes exceeds the server's maxMessageBytes " + maxMessageBytes));
        return true;
    }

    private void completeRequest(String ref, JsonNode value) {
        CompletableFuture<JsonNode> request = ref == null ? null : requests.remove(ref);
        if (request != null) {
            request.complete(value);
        }
    }

    private void failRequests(SwitchboardException cause) {
        List<CompletableFuture<JsonNode>> waiting = new ArrayList<>(requests.values());
        requests.clear();
        waiting.forEach(request -> request.completeExceptionally(cause));
    }
}
