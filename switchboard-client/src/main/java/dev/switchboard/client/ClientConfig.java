package dev.switchboard.client;

import dev.switchboard.protocol.Identifiers;
import io.netty.channel.EventLoopGroup;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Immutable settings of one {@link SwitchboardClient}; build it with {@link #builder(URI)}, which fills in
 * the documented defaults. The constructor checks every value and throws {@link IllegalArgumentException}
 * (or {@link NullPointerException} for a missing required value); user and device ids are checked with
 * {@link Identifiers}, so a typo fails here instead of as an endless series of refused handshakes.
 *
 * @param serverUri        {@code ws://host:port/ws} or {@code wss://…}; required. A query already present is kept.
 * @param tokenProvider    supplies the JWT sent as {@code ?token=}; asked on every connection attempt, on the
 *                         event loop, so it must return quickly (cache the token). Null: no token.
 * @param devUser          development mode only: sent as {@code ?user=} when there is no token provider. Null: none.
 * @param deviceId         sent as {@code ?device=}; give a stable one to resume across restarts. Null: the
 *                         server assigns a random one (see {@link SwitchboardClient#deviceId()}).
 * @param initialAfterSeq  {@code afterSeq} of the first {@code resume} (0 = whole retained history); it seeds
 *                         {@code lastSeq}. Null: continue from the device's cursor on the server.
 * @param backoffBase      reconnect backoff base [1 s], unless the server advertises its own in {@code welcome};
 *                         also the base of the retry delays of refused sends and subscribes
 * @param backoffMax       reconnect backoff cap [30 s], unless the server advertises its own; also the
 *                         retries' cap
 * @param pingInterval     send a {@code ping} after this long without inbound traffic [25 s]
 * @param pingTimeout      close and reconnect after this long without inbound traffic [60 s]
 * @param connectTimeout   limit for TCP connect, and separately for the WebSocket handshake [10 s]
 * @param ackDelay         longest time an acknowledgement is held back to batch it [200 ms]; zero acks at once
 * @param ackBatch         acknowledge at once when this many entries are unacknowledged [64]
 * @param maxPendingSends  bound on sends not yet confirmed by {@code sent}; further sends fail fast [10000]
 * @param origin           value of the {@code Origin} header; null sends none (a non-browser client) [null]
 * @param eventLoopGroup   a NIO event loop group to share between clients (the caller shuts it down);
 *                         null: the client creates a one-thread group and shuts it down on close [null]
 */
public record ClientConfig(URI serverUri, Supplier<String> tokenProvider, String devUser, String deviceId,
                           Long initialAfterSeq, Duration backoffBase, Duration backoffMax, Duration pingInterval,
                           Duration pingTimeout, Duration connectTimeout, Duration ackDelay, int ackBatch,
                           int maxPendingSends, String origin, EventLoopGroup eventLoopGroup) {

    public static final Duration DEFAULT_BACKOFF_BASE = Duration.ofSeconds(1);
    public static final Duration DEFAULT_BACKOFF_MAX = Duration.ofSeconds(30);
    public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(25);
    public static final Duration DEFAULT_PING_TIMEOUT = Duration.ofSeconds(60);
    public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);
    public static final Duration DEFAULT_ACK_DELAY = Duration.ofMillis(200);
    public static final int DEFAULT_ACK_BATCH = 64;
    public static final int DEFAULT_MAX_PENDING_SENDS = 10_000;

    public ClientConfig {
        Objects.requireNonNull(serverUri, "serverUri");
        String scheme = serverUri.getScheme();
        if (!"ws".equalsIgnoreCase(scheme) && !"wss".equalsIgnoreCase(scheme)) {
            throw new IllegalArgumentException("serverUri must be ws:// or wss://, got " + serverUri);
        }
        if (serverUri.getHost() == null) {
            throw new IllegalArgumentException("serverUri has no host: " + serverUri);
        }
        if (devUser != null && !Identifiers.isValidUserId(devUser)) {
            throw new IllegalArgumentException("devUser is not a valid user id: " + devUser);
        }
        if (deviceId != null && !Identifiers.isValidDeviceId(deviceId)) {
            throw new IllegalArgumentException("deviceId is not a valid device id: " + deviceId);
        }
        if (initialAfterSeq != null && initialAfterSeq < 0) {
            throw new IllegalArgumentException("initialAfterSeq must be >= 0, got " + initialAfterSeq);
        }
        requireNotNegative("backoffBase", backoffBase);
        requireNotNegative("backoffMax", backoffMax);
        if (backoffMax.compareTo(backoffBase) < 0) {
            throw new IllegalArgumentException("backoffMax " + backoffMax + " < backoffBase " + backoffBase);
        }
        requirePositive("pingInterval", pingInterval);
        requirePositive("pingTimeout", pingTimeout);
        requirePositive("connectTimeout", connectTimeout);
        requireNotNegative("ackDelay", ackDelay);
        if (ackBatch < 1) {
            throw new IllegalArgumentException("ackBatch must be >= 1, got " + ackBatch);
        }
        if (maxPendingSends < 1) {
            throw new IllegalArgumentException("maxPendingSends must be >= 1, got " + maxPendingSends);
        }
    }

    /** A builder with every default filled in. */
    public static Builder builder(URI serverUri) {
        return new Builder(serverUri);
    }

    private static void requireNotNegative(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, got " + value);
        }
    }

    private static void requirePositive(String name, Duration value) {
        Objects.requireNonNull(value, name);
        if (value.isNegative() || value.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + value);
        }
    }

    /** Fluent builder; one setter per record component, same name. Not thread-safe. */
    public static final class Builder {
        private URI serverUri;
        private Supplier<String> tokenProvider;
        private String devUser;
        private String deviceId;
        private Long initialAfterSeq;
        private Duration backoffBase = DEFAULT_BACKOFF_BASE;
        private Duration backoffMax = DEFAULT_BACKOFF_MAX;
        private Duration pingInterval = DEFAULT_PING_INTERVAL;
        private Duration pingTimeout = DEFAULT_PING_TIMEOUT;
        private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
        private Duration ackDelay = DEFAULT_ACK_DELAY;
        private int ackBatch = DEFAULT_ACK_BATCH;
        private int maxPendingSends = DEFAULT_MAX_PENDING_SENDS;
        private String origin;
        private EventLoopGroup eventLoopGroup;

        private Builder(URI serverUri) {
            this.serverUri = serverUri;
        }

        public Builder serverUri(URI value) {
            this.serverUri = value;
            return this;
        }

        public Builder tokenProvider(Supplier<String> value) {
            this.tokenProvider = value;
            return this;
        }

        public Builder devUser(String value) {
            this.devUser = value;
            return this;
        }

        public Builder deviceId(String value) {
            this.deviceId = value;
            return this;
        }

        public Builder initialAfterSeq(Long value) {
            this.initialAfterSeq = value;
            return this;
        }

        public Builder backoffBase(Duration value) {
            this.backoffBase = value;
            return this;
        }

        public Builder backoffMax(Duration value) {
            this.backoffMax = value;
            return this;
        }

        public Builder pingInterval(Duration value) {
            this.pingInterval = value;
            return this;
        }

        public Builder pingTimeout(Duration value) {
            this.pingTimeout = value;
            return this;
        }

        public Builder connectTimeout(Duration value) {
            this.connectTimeout = value;
            return this;
        }

        public Builder ackDelay(Duration value) {
            this.ackDelay = value;
            return this;
        }

        public Builder ackBatch(int value) {
            this.ackBatch = value;
            return this;
        }

        public Builder maxPendingSends(int value) {
            this.maxPendingSends = value;
            return this;
        }

        public Builder origin(String value) {
            this.origin = value;
            return this;
        }

        public Builder eventLoopGroup(EventLoopGroup value) {
            this.eventLoopGroup = value;
            return this;
        }

        /** @throws IllegalArgumentException or NullPointerException when a value is invalid */
        public ClientConfig build() {
            return new ClientConfig(serverUri, tokenProvider, devUser, deviceId, initialAfterSeq, backoffBase,
                    backoffMax, pingInterval, pingTimeout, connectTimeout, ackDelay, ackBatch, maxPendingSends,
                    origin, eventLoopGroup);
        }
    }
}
