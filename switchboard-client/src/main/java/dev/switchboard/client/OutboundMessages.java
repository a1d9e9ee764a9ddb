package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.ErrorCode;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything the client sent and waits for a reply to: chat sends (kept across reconnects until
 * {@code sent}, resent in order with the same client id) and requests such as group operations and pings
 * (tied to one connection: failed when it ends, never resent, because a retried {@code group.join}
 * could act twice).
 *
 * <p>A send refused with a retryable error ({@link ErrorCode#isRetryable()}) stays pending and goes out
 * again after a backoff delay. Retries of different sends are independent, so two sends that are both
 * rate limited may be stored in a different order than they were made.
 *
 * <p>Not thread-safe: confined to the client's event loop. Futures are completed on it.
 */
final class OutboundMessages {
    private static final Logger log = LoggerFactory.getLogger(OutboundMessages.class);

    private final PendingSends sends;
    private final Map<String, CompletableFuture<JsonNode>> requests = new HashMap<>();
    private final StatsCounters stats;
    private final Backoff retryBackoff;
    private final ScheduledExecutorService scheduler;
    private final int maxPendingSends;
    private Connection ready;
    private long maxMessageBytes = Long.MAX_VALUE;

    OutboundMessages(int maxPendingSends, StatsCounters stats, Backoff retryBackoff, ScheduledExecutorService scheduler) {
        this.sends = new PendingSends(maxPendingSends);
        this.maxPendingSends = maxPendingSends;
        this.stats = stats;
        this.retryBackoff = retryBackoff;
        this.scheduler = scheduler;
    }

    /** Queues a send; it goes out now when a connection is ready, else at the next {@code welcome}. */
    void submitSend(PendingSend send) {
        if (!sends.offer(send)) {
            send.future().completeExceptionally(
                    new SwitchboardException("too many pending sends (maxPendingSends " + maxPendingSends + ")"));
            return;
        }
        if (ready != null) {
            transmit(send, ready);
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

    /** A {@code welcome} arrived on {@code connection}: (re)send every pending send in order. */
    void onConnected(Connection connection, long serverMaxMessageBytes) {
        ready = connection;
        maxMessageBytes = serverMaxMessageBytes > 0 ? serverMaxMessageBytes : Long.MAX_VALUE;
        for (PendingSend send : sends.inOrder()) {
            transmit(send, connection);
        }
    }

    /** The connection ended: requests on it fail with {@code cause}; sends stay pending. */
    void onDisconnected(SwitchboardException cause) {
        ready = null;
        failRequests(cause);
    }

    /** The client is closed: every send and request fails with {@code cause}. */
    void failAll(SwitchboardException cause) {
        ready = null;
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
                scheduleRetry(send);
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

    private void transmit(PendingSend send, Connection connection) {
        if (send.frameBytes() > maxMessageBytes) {
            // The server would close the connection with 1009, and the resend after the reconnect again.
            sends.remove(send);
            send.future().completeExceptionally(new SwitchboardException(ErrorCode.PAYLOAD_TOO_LARGE,
                    "message of " + send.frameBytes() + " bytes exceeds the server's maxMessageBytes " + maxMessageBytes));
            return;
        }
        if (send.transmissions() > 0) {
            stats.countResent();
        }
        send.countTransmission();
        connection.write(send.frameText());
    }

    private void scheduleRetry(PendingSend send) {
        Connection connection = ready;
        long delayNanos = retryBackoff.delay(send.nextRetry()).toNanos();
        log.debug("send {} refused with a retryable error; retrying in {} ms", send.clientId(), delayNanos / 1_000_000);
        scheduler.schedule(() -> {
            // After a reconnect the welcome resent it already.
            if (sends.contains(send) && connection != null && ready == connection && connection.isReady()) {
                transmit(send, connection);
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
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
