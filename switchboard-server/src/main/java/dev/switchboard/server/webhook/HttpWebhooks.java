package dev.switchboard.server.webhook;

import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.metrics.ServerMetrics.WebhookOutcome;
import dev.switchboard.server.registry.ClosedBy;
import dev.switchboard.server.store.StoredMessage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Webhooks over HTTP: events wait in one bounded queue, and one thread POSTs them, signed
 * ({@link WebhookSignature}), in batches of up to {@code webhooks.maxBatch}, one request at a time.
 *
 * <ul>
 *   <li>A 2xx answer delivers the batch. A network error, a timeout, 408, 429 or a 5xx is tried again
 *       after a growing, jittered delay (at least what a {@code Retry-After} in seconds asks, at most a
 *       minute), up to {@code webhooks.maxAttempts} tries in all; another answer (a 4xx: the backend
 *       refuses it) is not. A batch that did not get through is counted as {@code failed} and logged.</li>
 *   <li>A batch may arrive more than once (a timeout after the backend took it): every event has an id
 *       for the backend to drop repeats by.</li>
 *   <li>Events arrive in the order this node queued them, batch after batch, and their ids count up in
 *       that order; a batch that failed for good is skipped. Nodes send independently.</li>
 *   <li>When the queue is full (the backend is down or slower than the events), new events are
 *       dropped and counted, so a slow backend costs the node at most the queue, never a blocked loop.</li>
 *   <li>At shutdown the node sends what is queued, each batch once, for up to {@code webhooks.timeoutMillis}
 *       in all (a request's timeout shrinks to the time left); the rest is counted as dropped.</li>
 *   <li>Every event reported is counted once: {@code delivered}, {@code failed} or {@code dropped}.</li>
 * </ul>
 *
 * @implNote Reporting an event is an {@link ArrayBlockingQueue#offer} of a small record: a short lock
 * shared with the sender's {@code drainTo}, about a hundred nanoseconds, on the event loop or the store
 * writer; JSON is written on the webhook thread. One request in flight keeps the order and is enough:
 * at 100 events a request and a 1 ms round trip that is 100,000 events a second. The JDK's
 * {@link HttpClient} keeps the connection alive between requests.
 */
public final class HttpWebhooks implements Webhooks {
    private static final Logger log = LoggerFactory.getLogger(HttpWebhooks.class);
    private static final long FIRST_RETRY_MILLIS = 250;
    private static final long MAX_RETRY_MILLIS = 60_000;
    private static final long WARNING_INTERVAL_NANOS = TimeUnit.SECONDS.toNanos(10);

    private final ServerConfig.Webhooks config;
    private final String nodeId;
    private final String idPrefix;
    private final byte[] secret;
    private final URI uri;
    private final String loggedUrl;
    private final ServerMetrics metrics;
    private final Clock clock;
    private final boolean connectEvents;
    private final boolean disconnectEvents;
    private final boolean messageEvents;
    private final ArrayBlockingQueue<WebhookEvent> queue;
    /** The number of the next event sent; sender thread only. */
    private long nextSequence = 1;
    private final HttpClient client;
    private final Thread sender;
    private final CountDownLatch closeRequested = new CountDownLatch(1);
    private final AtomicLong lastDropWarningNanos = new AtomicLong(System.nanoTime() - WARNING_INTERVAL_NANOS);
    private final AtomicBoolean closed = new AtomicBoolean();
    /** When the sender stops sending at shutdown (System.nanoTime()); set before {@link #closeRequested}. */
    private volatile long shutdownDeadlineNanos;
    private long lastFailureWarningNanos = System.nanoTime() - WARNING_INTERVAL_NANOS; // sender thread only
    private long failuresSinceWarning; // sender thread only

    public HttpWebhooks(ServerConfig.Webhooks config, String nodeId, ServerMetrics metrics, Clock clock) {
        if (!config.isEnabled()) {
            throw new IllegalArgumentException("webhooks.url is empty");
        }
        this.config = config;
        this.nodeId = nodeId;
        this.idPrefix = nodeId + "-" + Long.toString(clock.millis(), 36) + "-";
        this.secret = config.secret().getBytes(StandardCharsets.UTF_8);
        this.uri = URI.create(config.url());
        this.loggedUrl = uri.getScheme() + "://" + uri.getHost() + (uri.getPort() < 0 ? "" : ":" + uri.getPort())
                + (uri.getRawPath() == null ? "" : uri.getRawPath()); // no credentials or query in logs
        this.metrics = metrics;
        this.clock = clock;
        this.connectEvents = config.sends("connect");
        this.disconnectEvents = config.sends("disconnect");
        this.messageEvents = config.sends("message");
        this.queue = new ArrayBlockingQueue<>(config.queueCapacity());
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofMillis(config.timeoutMillis()))
                .followRedirects(HttpClient.Redirect.NEVER)
                // The client's selector thread completes each exchange itself. Its default executor, a cached pool,
                // handed every answer to another thread (five of them busy at a few percent each on the durable
                // throughput benchmark), for one request at a time; the CPU this saves is within that run's noise.
                .executor(Runnable::run)
                .build();
        metrics.gauge("switchboard.webhook.queue.events", "Webhook events waiting to be sent", queue::size);
        this.sender = new Thread(this::run, "webhooks");
        sender.setDaemon(true);
        sender.start();
    }

    @Override
    public void connected(String connectionId, String userId, String deviceId) {
        if (connectEvents) {
            report(new WebhookEvent.Connected(clock.millis(), connectionId, userId, deviceId));
        }
    }

    @Override
    public void disconnected(String connectionId, String userId, String deviceId, int closeCode, ClosedBy closedBy) {
        if (disconnectEvents) {
            report(new WebhookEvent.Disconnected(clock.millis(), connectionId, userId,
                    deviceId, closeCode, closedBy));
        }
    }

    @Override
    public void messageStored(StoredMessage message, byte[] encoded) {
        if (messageEvents) {
            // Holds the bytes, not the message too: what a queue of them costs is what they will send.
            report(new WebhookEvent.MessageStored(message.createdAt(), encoded == null ? message : null, encoded));
        }
    }

    private void report(WebhookEvent event) {
        boolean shuttingDown = closed.get();
        if (!shuttingDown && queue.offer(event)) {
            // close() raced with this report: the sender may have taken its last events already.
            if (!closed.get() || !queue.remove(event)) {
                return;
            }
            shuttingDown = true;
        }
        metrics.webhookEvents(WebhookOutcome.DROPPED, 1);
        long now = System.nanoTime();
        long last = lastDropWarningNanos.get();
        if (now - last >= WARNING_INTERVAL_NANOS && lastDropWarningNanos.compareAndSet(last, now)) {
            log.atWarn().setMessage(shuttingDown ? "webhook events dropped: shutting down" : "webhook events dropped: queue full")
                    .addKeyValue("queueCapacity", config.queueCapacity())
                    .addKeyValue("dropped", metrics.webhookEventCount(WebhookOutcome.DROPPED)).log();
        }
    }

    private void run() {
        List<WebhookEvent> batch = new ArrayList<>(config.maxBatch());
        try {
            while (true) {
                WebhookEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    if (closeRequested.getCount() == 0) {
                        return; // shutting down and nothing left
                    }
                    continue;
                }
                batch.add(first);
                if (shuttingDown() && remainingNanos() <= 0) {
                    return; // out of time: what is left is dropped below
                }
                queue.drainTo(batch, config.maxBatch() - 1);
                try {
                    send(batch);
                } catch (RuntimeException | Error e) {
                    // A bug must not end the thread: the queue would fill and every later event be dropped.
                    metrics.webhookEvents(WebhookOutcome.FAILED, batch.size());
                    log.atError().setMessage("webhook batch failed").addKeyValue("events", batch.size()).setCause(e).log();
                }
                batch.clear();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt(); // close() gave up waiting: the batch in hand is dropped too
        } finally {
            int left = batch.size() + queue.drainTo(new ArrayList<>());
            if (left > 0) {
                metrics.webhookEvents(WebhookOutcome.DROPPED, left);
                log.atWarn().setMessage("webhook events not sent before shutdown").addKeyValue("dropped", left).log();
            }
        }
    }

    private boolean shuttingDown() {
        return closeRequested.getCount() == 0;
    }

    /** Time left to send at shutdown. */
    private long remainingNanos() {
        return shutdownDeadlineNanos - System.nanoTime();
    }

    /** Sends one batch, trying again as the class comment says; counts how it ended. */
    private void send(List<WebhookEvent> batch) throws InterruptedException {
        long firstSequence = nextSequence;
        nextSequence += batch.size();
        byte[] body = WebhookBody.encode(nodeId, idPrefix, firstSequence, batch);
        for (int attempt = 1; ; attempt++) {
            Answer answer = post(body);
            if (answer.delivered()) {
                metrics.webhookEvents(WebhookOutcome.DELIVERED, batch.size());
                return;
            }
            if (!answer.retryable() || attempt >= config.maxAttempts() || shuttingDown()) {
                failed(batch.size(), answer, attempt);
                return;
            }
            long ceiling = Math.min(MAX_RETRY_MILLIS, FIRST_RETRY_MILLIS << Math.min(attempt - 1, 20));
            long delay = Math.max(ceiling / 2 + ThreadLocalRandom.current().nextLong(ceiling / 2 + 1),
                    Math.min(MAX_RETRY_MILLIS, answer.retryAfterMillis()));
            if (closeRequested.await(delay, TimeUnit.MILLISECONDS)) {
                // Shutdown began while waiting: one last try now, as for the rest of the queue.
                Answer last = remainingNanos() > 0 ? post(body) : new Answer(false, false, 0, "no time left at shutdown");
                if (last.delivered()) {
                    metrics.webhookEvents(WebhookOutcome.DELIVERED, batch.size());
                } else {
                    failed(batch.size(), last, attempt + 1);
                }
                return;
            }
        }
    }

    private void failed(int events, Answer answer, int attempts) {
        metrics.webhookEvents(WebhookOutcome.FAILED, events);
        failuresSinceWarning += events;
        long now = System.nanoTime();
        if (now - lastFailureWarningNanos >= WARNING_INTERVAL_NANOS) {
            log.atWarn().setMessage("webhook events not delivered").addKeyValue("url", loggedUrl)
                    .addKeyValue("answer", answer.description()).addKeyValue("attempts", attempts)
                    .addKeyValue("eventsFailedSinceLastWarning", failuresSinceWarning).log();
            lastFailureWarningNanos = now;
            failuresSinceWarning = 0;
        }
    }

    private Answer post(byte[] body) throws InterruptedException {
        long timeoutNanos = TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        if (shuttingDown()) {
            timeoutNanos = Math.max(1, Math.min(timeoutNanos, remainingNanos()));
        }
        long timestampSeconds = clock.millis() / 1000;
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofNanos(timeoutNanos))
                .header("Content-Type", "application/json")
                .header("User-Agent", "Switchboard-Webhooks")
                .header(WebhookSignature.TIMESTAMP_HEADER, Long.toString(timestampSeconds))
                .header(WebhookSignature.SIGNATURE_HEADER, WebhookSignature.sign(secret, timestampSeconds, body))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        long start = System.nanoTime();
        // The request's own timeout ends with the answer's headers; this one also covers a body that stalls.
        CompletableFuture<HttpResponse<Void>> exchange = client.sendAsync(request, HttpResponse.BodyHandlers.discarding());
        try {
            HttpResponse<Void> response = exchange.get(timeoutNanos, TimeUnit.NANOSECONDS);
            return Answer.of(response.statusCode(), response.headers().firstValue("Retry-After").orElse(null));
        } catch (ExecutionException e) {
            return new Answer(false, true, 0, String.valueOf(e.getCause()));
        } catch (TimeoutException e) {
            exchange.cancel(true);
            return new Answer(false, true, 0, "no answer within " + TimeUnit.NANOSECONDS.toMillis(timeoutNanos) + " ms");
        } catch (InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } finally {
            metrics.webhookRequested(System.nanoTime() - start);
        }
    }

    /**
     * Sends what is queued, each batch once, for up to {@code webhooks.timeoutMillis}, then stops: later
     * events are dropped. Called by the server after its connections are closed and its store has
     * committed, so their disconnects and last messages are among what is sent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        shutdownDeadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(config.timeoutMillis());
        closeRequested.countDown();
        try {
            sender.join(config.timeoutMillis() + 1000); // requests end by the deadline; a second's margin
            if (sender.isAlive()) {
                sender.interrupt();
                sender.join(1000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How one request ended. */
    record Answer(boolean delivered, boolean retryable, long retryAfterMillis, String description) {
        static Answer of(int status, String retryAfter) {
            if (status / 100 == 2) {
                return new Answer(true, false, 0, "HTTP " + status);
            }
            boolean retryable = status == 408 || status == 429 || status >= 500;
            return new Answer(false, retryable, retryable ? retryAfterMillis(retryAfter) : 0, "HTTP " + status);
        }

        /** {@code Retry-After} in seconds (the form backends use for 429 and 503); an HTTP date is ignored. */
        static long retryAfterMillis(String retryAfter) {
            if (retryAfter == null) {
                return 0;
            }
            try {
                return TimeUnit.SECONDS.toMillis(Math.max(0, Math.min(Long.parseLong(retryAfter.trim()), 3600)));
            } catch (NumberFormatException e) {
                return 0;
            }
        }
    }
}
