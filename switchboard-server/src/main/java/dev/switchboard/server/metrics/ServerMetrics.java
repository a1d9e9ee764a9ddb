package dev.switchboard.server.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Every metric the node exports (docs/OPERATIONS.md lists them), on one Prometheus registry.
 * Components call the narrow methods below instead of touching Micrometer, so the names and tags
 * live in this one file.
 *
 * @implNote Counters are Micrometer's lock-free adders: incrementing from many event loops costs a
 * striped add, not a contended CAS. The delivery latency timer keeps a Prometheus histogram for
 * dashboards; the admin page's p50/p99 of the last minute are read from that histogram
 * ({@link RecentPercentiles}), so a delivery records into one histogram, not four.
 */
public final class ServerMetrics {
    /**
     * What a message counted in or out is: in = CHAT (sends), TOPIC (publishes), REQUEST (everything
     * else a client sends); out = CHAT (inbox entries), TOPIC (publications), PRESENCE (events).
     */
    public enum Kind { CHAT, TOPIC, REQUEST, PRESENCE }

    /** The limit behind a {@code rate_limited} refusal: a connection's sends, a user's sends, a connection's requests. */
    public enum RateLimited { SEND, USER_SEND, REQUEST }

    /**
     * What became of webhook events: DELIVERED (a 2xx answered their request), FAILED (refused with another
     * 4xx, or still failing after the last attempt), DROPPED (the queue was full, or the node shut down first).
     */
    public enum WebhookOutcome { DELIVERED, FAILED, DROPPED }

    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final Map<String, Counter> handshakes = new ConcurrentHashMap<>();
    private final Counter[] messagesIn = new Counter[Kind.values().length];
    private final Counter[] messagesOut = new Counter[Kind.values().length];
    private final Timer deliveryLatency;
    private final RecentPercentiles recentDeliveryLatency;
    private final Counter[] rateLimited = new Counter[RateLimited.values().length];
    private final Counter slowConsumerCloses;
    private final Counter kicks;
    private final Counter storeErrors;
    private final Timer storeCommit;
    private final Timer storeQueued;
    private final Timer storeWrite;
    private final Counter redisErrors;
    private final Timer redisCommand;
    private final Counter[] webhookEvents = new Counter[WebhookOutcome.values().length];
    private final Timer webhookRequest;
    private final Counter fileBytesUploaded;
    private final Counter fileBytesDownloaded;
    private final Counter fileUploadsCompleted;
    private final RecentEvents events = new RecentEvents(50);

    public ServerMetrics() {
        for (Kind kind : new Kind[] {Kind.CHAT, Kind.TOPIC, Kind.REQUEST}) {
            messagesIn[kind.ordinal()] = Counter.builder("switchboard.messages.in").tag("kind", kind.name().toLowerCase())
                    .description("Messages received from clients and the server API").register(registry);
        }
        for (Kind kind : new Kind[] {Kind.CHAT, Kind.TOPIC, Kind.PRESENCE}) {
            messagesOut[kind.ordinal()] = Counter.builder("switchboard.messages.out").tag("kind", kind.name().toLowerCase())
                    .description("Messages written to client connections").register(registry);
        }
        deliveryLatency = Timer.builder("switchboard.delivery.latency")
                .description("Chat messages: store commit to write on the recipient's socket")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10))
                .register(registry);
        recentDeliveryLatency = new RecentPercentiles(deliveryLatency, TimeUnit.SECONDS.toNanos(60));
        for (RateLimited limit : RateLimited.values()) {
            rateLimited[limit.ordinal()] = Counter.builder("switchboard.rate.limited")
                    .tag("limit", limit.name().toLowerCase()).description("Sends and requests refused with rate_limited")
                    .register(registry);
        }
        slowConsumerCloses = Counter.builder("switchboard.slow.consumer.closes")
                .description("Connections closed with 4008 because their outbound queue was full").register(registry);
        kicks = Counter.builder("switchboard.kicks").description("Connections kicked or banned").register(registry);
        storeErrors = Counter.builder("switchboard.store.errors").description("Failed store transactions").register(registry);
        storeCommit = Timer.builder("switchboard.store.commit").description("Store write batches: begin to commit")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        storeQueued = Timer.builder("switchboard.store.queued")
                .description("Store write batches: how long the oldest write waited for the writer")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(5_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        // Per write, not per batch: at 1,000 messages/s a commit that stalls for 5 ms is one slow batch in
        // the batch histograms but five or so slow messages here: the store's part of what the senders
        // waited for (bench/analysis.md, the durable paragraph).
        storeWrite = Timer.builder("switchboard.store.write")
                .description("Store writes, each: submitted to committed")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(50_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        redisErrors = Counter.builder("switchboard.redis.errors").description("Failed Redis commands").register(registry);
        redisCommand = Timer.builder("switchboard.redis.command").description("Redis commands: sent to answered")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(20_000))
                .maximumExpectedValue(Duration.ofSeconds(10)).register(registry);
        for (WebhookOutcome outcome : WebhookOutcome.values()) {
            webhookEvents[outcome.ordinal()] = Counter.builder("switchboard.webhook.events")
                    .tag("result", outcome.name().toLowerCase()).description("Webhook events by what became of them")
                    .register(registry);
        }
        webhookRequest = Timer.builder("switchboard.webhook.request")
                .description("Webhook requests, each attempt: sent to answered or failed")
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofNanos(100_000))
                .maximumExpectedValue(Duration.ofSeconds(60)).register(registry);
        fileBytesUploaded = Counter.builder("switchboard.file.bytes").tag("direction", "upload").baseUnit("bytes")
                .description("File bytes stored from uploads, and sent in downloads").register(registry);
        fileBytesDownloaded = Counter.builder("switchboard.file.bytes").tag("direction", "download").baseUnit("bytes")
                .description("File bytes stored from uploads, and sent in downloads").register(registry);
        fileUploadsCompleted = Counter.builder("switchboard.file.uploads.completed")
                .description("Uploads whose last chunk was stored").register(registry);
        new JvmMemoryMetrics().bindTo(registry);
        new JvmGcMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
    }

    /** Registers a gauge read at scrape time, e.g. the connection count. */
    public void gauge(String name, String description, Supplier<Number> value) {
        Gauge.builder(name, value).description(description).register(registry);
    }

    /**
     * Registers a counter that {@code source} keeps, read at scrape time, with one tag. Micrometer holds
     * {@code source} weakly: it must be an object the node keeps (a lambda would be collected).
     */
    public <T> void functionCounter(String name, String description, String tag, String tagValue, T source,
                                    ToDoubleFunction<T> count) {
        FunctionCounter.builder(name, source, count).tag(tag, tagValue).description(description).register(registry);
    }

    /** A WebSocket handshake: {@code reason} "ok" when accepted, else why it was refused. */
    public void handshake(String reason) {
        handshakes.computeIfAbsent(reason, key -> Counter.builder("switchboard.handshakes")
                .tag("result", "ok".equals(key) ? "accepted" : "rejected").tag("reason", key)
                .description("WebSocket handshakes by result").register(registry)).increment();
    }

    public void messageIn(Kind kind) {
        messagesIn[kind.ordinal()].increment();
    }

    public void messagesOut(Kind kind, int count) {
        messagesOut[kind.ordinal()].increment(count);
    }

    /** A chat message reached a socket {@code nanos} after its store commit. */
    public void delivered(long nanos) {
        deliveryLatency.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A send or request refused with {@code rate_limited} by {@code limit}. */
    public void rateLimited(RateLimited limit) {
        rateLimited[limit.ordinal()].increment();
    }

    /** The refusals {@code limit} has made. */
    public long rateLimitedCount(RateLimited limit) {
        return (long) rateLimited[limit.ordinal()].count();
    }

    public void slowConsumerClosed(String connectionId, String userId) {
        slowConsumerCloses.increment();
        events.add("slow_consumer", userId, connectionId, "outbound queue full");
    }

    public void kicked(String connectionId, String userId, String reason, boolean banned) {
        kicks.increment();
        events.add(banned ? "ban" : "kick", userId, connectionId, reason);
    }

    /** A store batch committed {@code nanos} after it began; its oldest write had waited {@code queuedNanos}. */
    public void storeCommitted(long queuedNanos, long nanos) {
        storeQueued.record(queuedNanos, TimeUnit.NANOSECONDS);
        storeCommit.record(nanos, TimeUnit.NANOSECONDS);
    }

    /**
     * A store write (a message, an acknowledgement, a group change, a ban, a retention purge) committed
     * {@code nanos} after it was submitted.
     */
    public void storeWriteCommitted(long nanos) {
        storeWrite.record(nanos, TimeUnit.NANOSECONDS);
    }

    public void storeFailed() {
        storeErrors.increment();
    }

    public void redisAnswered(long nanos, boolean failed) {
        redisCommand.record(nanos, TimeUnit.NANOSECONDS);
        if (failed) {
            redisErrors.increment();
        }
    }

    /** {@code count} webhook events reached {@code outcome}. */
    public void webhookEvents(WebhookOutcome outcome, int count) {
        webhookEvents[outcome.ordinal()].increment(count);
    }

    /** The webhook events that reached {@code outcome} so far. */
    public long webhookEventCount(WebhookOutcome outcome) {
        return (long) webhookEvents[outcome.ordinal()].count();
    }

    /** One webhook request (an attempt) took {@code nanos}, answered or not. */
    public void webhookRequested(long nanos) {
        webhookRequest.record(nanos, TimeUnit.NANOSECONDS);
    }

    /** A file chunk of {@code bytes} was stored. */
    public void fileBytesUploaded(int bytes) {
        fileBytesUploaded.increment(bytes);
    }

    /** An upload's last chunk was stored. */
    public void fileUploadCompleted() {
        fileUploadsCompleted.increment();
    }

    /** {@code bytes} of a file were written to a download. */
    public void fileBytesDownloaded(int bytes) {
        fileBytesDownloaded.increment(bytes);
    }

    /** Prometheus text exposition format. */
    public String scrape() {
        return registry.scrape();
    }

    public RecentEvents events() {
        return events;
    }

    /**
     * Totals the admin view turns into rates, and the delivery latency's p50/p99 over about the last
     * minute (each call is a read of {@link RecentPercentiles}: the node's stats call it once a second).
     */
    public Totals totals() {
        double in = 0;
        double out = 0;
        for (Counter counter : messagesIn) {
            in += counter == null ? 0 : counter.count();
        }
        for (Counter counter : messagesOut) {
            out += counter == null ? 0 : counter.count();
        }
        double[] latency = recentDeliveryLatency.millis(System.nanoTime(), 0.5, 0.99);
        return new Totals((long) in, (long) out, latency[0], latency[1], (long) slowConsumerCloses.count(), (long) kicks.count());
    }

    /** Monotonic counts since start, and the recent delivery latency percentiles in milliseconds. */
    public record Totals(long messagesIn, long messagesOut, double latencyP50Millis, double latencyP99Millis,
                         long slowConsumerCloses, long kicks) {
    }
}
