package dev.switchboard.server.config;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The whole server configuration, one immutable record per component. Defaults live in
 * {@code switchboard-defaults.yml} on the class path; {@link ConfigLoader} layers a YAML file,
 * {@code SWITCHBOARD_*} environment variables and command-line flags on top, in that order.
 */
public record ServerConfig(
        Server server,
        Auth auth,
        Heartbeat heartbeat,
        Reconnect reconnect,
        Limits limits,
        Store store,
        Retention retention,
        Shutdown shutdown,
        Cluster cluster,
        Topics topics,
        Presence presence,
        Api api,
        Webhooks webhooks,
        Files files) {

    public ServerConfig {
        if (files != null && limits != null && files.isEnabled()
                && limits.maxMessageBytes() < 2 * Files.CHUNK_HEADER_ROOM) {
            throw new IllegalArgumentException("files need limits.maxMessageBytes of at least "
                    + 2 * Files.CHUNK_HEADER_ROOM + " (a chunk's header takes " + Files.CHUNK_HEADER_ROOM
                    + "), or files.maxFileBytes: 0");
        }
    }

    /**
     * Listening socket and HTTP surface.
     *
     * @param host             bind address; default 127.0.0.1 (use 0.0.0.0 behind a balancer)
     * @param port             TCP port; 0 picks a free one (printed in the log); default 8080
     * @param dataDirectory    where the embedded store keeps its files; default ./data
     * @param allowedOrigins   extra allowed {@code Origin} values besides same-origin; "*" allows all
     * @param echoEndpoint     enables {@code /ws/echo} (conformance testing only); default false
     * @param maxConnections   WebSocket connections this node accepts before answering 503; keep it
     *                         below the process's open-file limit; default 18000
     * @param handshakeTimeoutMillis a connection that has not upgraded within this time is closed; default 10000
     * @param ioThreads        event-loop threads; 0 = 2 × cores
     * @param compression      negotiate permessage-deflate when the client offers it; default false: each
     *                         such connection keeps zlib's compressor (about 90 kB resident) between messages
     * @param tlsCertificate   PEM certificate chain file for {@code wss://}; empty = plain {@code ws://}
     *                         (e.g. behind a TLS-terminating balancer)
     * @param tlsPrivateKey    PEM PKCS#8 private key file matching {@code tlsCertificate}
     * @param trustedProxies   balancers (IP literals or CIDR blocks) whose {@code X-Forwarded-For} names the
     *                         client for the per-address limits; empty (default) = the TCP peer is the client
     */
    public record Server(
            String host,
            int port,
            String dataDirectory,
            List<String> allowedOrigins,
            boolean echoEndpoint,
            int maxConnections,
            long handshakeTimeoutMillis,
            int ioThreads,
            boolean compression,
            String tlsCertificate,
            String tlsPrivateKey,
            List<String> trustedProxies) {
    }

    /**
     * Handshake authentication.
     *
     * @param devMode       accept {@code ?user=} without a token; never in production; default false
     * @param jwtSecret     HS256 shared secret, at least 32 bytes; empty: no HS256 tokens
     * @param jwtPublicKeyFile PEM file of the public keys that check RS256 (RSA, at least 2048 bits) and
     *                      ES256 (EC P-256) tokens, one or more {@code PUBLIC KEY} blocks; empty: none.
     *                      With neither a secret nor keys only development mode can sign anyone in
     * @param requireExpiry refuse tokens without {@code exp}; default true
     * @param loginPolicy   {@code multi-device} (default: one connection per device id, a new login of the
     *                      same device replaces the old one) or {@code single-session} (a new login kicks
     *                      every other connection of the user, cluster-wide)
     */
    public record Auth(boolean devMode, String jwtSecret, String jwtPublicKeyFile, boolean requireExpiry, String loginPolicy) {

        public boolean singleSession() {
            return "single-session".equals(loginPolicy);
        }
    }

    /**
     * Keep-alive.
     *
     * @param pingIntervalMillis a WebSocket ping is sent after this long without inbound traffic; default 30000
     * @param pingTimeoutMillis  the connection is closed (4002) after this long without inbound traffic; default 90000
     */
    public record Heartbeat(long pingIntervalMillis, long pingTimeoutMillis) {
    }

    /**
     * The reconnect backoff this node advertises in {@code welcome} (R12): the clients reconnect after this
     * connection ends with full-jitter delays in {@code [0, min(max, base × 2ⁿ)]} instead of their own
     * (1 s doubling to 30 s by default). Raise them for a fleet whose nodes cannot take their clients back
     * at the default pace (a big node's restart), lower them for one that can. Both 0 (default): nothing
     * is advertised, and clients use their own.
     *
     * @param baseMillis the ceiling of the first delay; 0 (not advertised) or 1 to {@value #MAX_MILLIS}
     * @param maxMillis  the cap of every ceiling; 0 with {@code baseMillis}, else at least {@code baseMillis}
     *                   and at most {@value #MAX_MILLIS}
     */
    public record Reconnect(long baseMillis, long maxMillis) {
        /** An hour: a longer delay would look like a dead server to the user. */
        public static final long MAX_MILLIS = 3_600_000;

        public Reconnect {
            boolean off = baseMillis == 0 && maxMillis == 0;
            if (!off && (baseMillis < 1 || maxMillis < baseMillis || maxMillis > MAX_MILLIS)) {
                throw new IllegalArgumentException("reconnect.baseMillis and reconnect.maxMillis must both be 0 "
                        + "(not advertised), or 1 <= baseMillis <= maxMillis <= " + MAX_MILLIS
                        + "; got " + baseMillis + " and " + maxMillis);
            }
        }

        /** Whether {@code welcome} carries them. */
        public boolean isAdvertised() {
            return baseMillis > 0;
        }
    }

    /**
     * Per-connection and per-user protection (R11) and the per-address and per-user admission limits (R2).
     *
     * @param maxMessageBytes      largest WebSocket data message after reassembly and inflation; bigger closes with 1009; default 65536
     * @param maxBodyBytes         largest chat {@code body} once serialized; bigger gets {@code payload_too_large}; default 16384
     * @param maxGroupMembers      members a group may have; default 1000
     * @param sendsPerSecond       sustained sends per connection; default 100
     * @param sendBurst            sends allowed in a burst above the rate; default 200
     * @param userSendsPerSecond   sustained sends of one user, all of the user's connections on this node
     *                             together; 0 = no limit; default 200
     * @param userSendBurst        sends one user may make at once above that rate; default 400
     * @param requestsPerSecond    sustained group, presence and subscribe requests per connection; default 20
     * @param requestBurst         such requests allowed in a burst; default 100, above the default
     *                             {@code topics.maxSubscriptionsPerConnection} (64): a reconnecting client
     *                             subscribes all its topics again at once
     * @param outboundQueueBytes   bytes queued for one connection before it is closed as a slow consumer (4008); default 4 MiB
     * @param maxInvalidRequests   error replies per minute before the connection is closed with 4000; default 120
     * @param maxConnectionsPerIp  WebSocket connections this node accepts from one client address (see
     *                             {@code server.trustedProxies}); more get HTTP 429; 0 = no limit (default)
     * @param maxConnectionsPerUser WebSocket connections this node accepts for one user id; more get 429;
     *                             0 = no limit (default)
     * @param handshakesPerSecondPerIp sustained WebSocket handshakes per second from one client address,
     *                             checked before the token; more get 429 with {@code Retry-After}; 0 = no limit (default)
     * @param handshakeBurstPerIp  handshakes one address may make at once above that rate; default 20
     */
    public record Limits(
            int maxMessageBytes,
            int maxBodyBytes,
            int maxGroupMembers,
            int sendsPerSecond,
            int sendBurst,
            int userSendsPerSecond,
            int userSendBurst,
            int requestsPerSecond,
            int requestBurst,
            int outboundQueueBytes,
            int maxInvalidRequests,
            int maxConnectionsPerIp,
            int maxConnectionsPerUser,
            int handshakesPerSecondPerIp,
            int handshakeBurstPerIp) {
        public Limits {
            if (sendsPerSecond <= 0 || requestsPerSecond <= 0) {
                throw new IllegalArgumentException("limits.sendsPerSecond and limits.requestsPerSecond must be positive");
            }
            if (maxConnectionsPerIp < 0 || maxConnectionsPerUser < 0 || handshakesPerSecondPerIp < 0) {
                throw new IllegalArgumentException("limits.maxConnectionsPerIp, maxConnectionsPerUser and "
                        + "handshakesPerSecondPerIp must be 0 (no limit) or positive");
            }
            if (userSendsPerSecond < 0 || (userSendsPerSecond > 0 && userSendBurst < 1)) {
                throw new IllegalArgumentException("limits.userSendsPerSecond must be 0 (no limit) or positive, "
                        + "and limits.userSendBurst at least 1");
            }
            if (handshakesPerSecondPerIp > 0 && handshakeBurstPerIp < 1) {
                throw new IllegalArgumentException("limits.handshakeBurstPerIp must be at least 1");
            }
        }

        /**
         * The send limit {@code welcome} advertises, which clients pace themselves by: the connection's own,
         * or its user's where that is lower, since one connection can use no more than its user's budget.
         */
        public int advertisedSendsPerSecond() {
            return userSendsPerSecond > 0 ? Math.min(sendsPerSecond, userSendsPerSecond) : sendsPerSecond;
        }

        /** The burst that goes with {@link #advertisedSendsPerSecond()}. */
        public int advertisedSendBurst() {
            return userSendsPerSecond > 0 ? Math.min(sendBurst, userSendBurst) : sendBurst;
        }
    }

    /**
     * The durable store.
     *
     * @param url                 JDBC url; empty = SQLite file {@code switchboard.db} in the data directory;
     *                            {@code jdbc:mariadb://…}, {@code jdbc:mysql://…} or {@code jdbc:postgresql://…}
     *                            for a cluster (the database must exist; the schema is migrated at start)
     * @param username            database user for MariaDB/PostgreSQL; empty = from the url
     * @param password            database password (prefer {@code SWITCHBOARD_STORE_PASSWORD})
     * @param synchronous         SQLite {@code PRAGMA synchronous}: FULL survives power loss, NORMAL survives process crashes; default FULL
     * @param writeQueueCapacity  pending writes before senders get {@code store_busy}; default 16384
     * @param maxBatch            writes committed together in one transaction (group commit); default 512
     * @param readerThreads       threads for inbox replay and group reads; default 2
     * @param replayBatch         inbox entries read per replay query; default 256
     */
    public record Store(
            String url,
            String username,
            String password,
            String synchronous,
            int writeQueueCapacity,
            int maxBatch,
            int readerThreads,
            int replayBatch) {
    }

    /**
     * How long inbox entries are kept. Expired ranges are announced to clients as {@code truncated}.
     *
     * @param maxAgeHours           0 = keep forever; default 0
     * @param maxMessagesPerUser    newest entries kept per user inbox; 0 = unlimited; default 0
     * @param purgeIntervalSeconds  how often the purge runs; default 300
     */
    public record Retention(long maxAgeHours, long maxMessagesPerUser, long purgeIntervalSeconds) {
    }

    /**
     * Graceful shutdown (SIGTERM).
     *
     * @param drainWindowMillis connections are closed with 1012 spread over this window; default 2000
     * @param deadlineMillis    the process exits after this long whatever is left; default 10000
     */
    public record Shutdown(long drainWindowMillis, long deadlineMillis) {
    }

    /**
     * Several nodes behind a balancer.
     *
     * @param mode                  {@code single} (default: one node, nothing shared), {@code redis} (a Redis, or the
     *                              master Sentinel names) or {@code redis-cluster} (a Redis Cluster)
     * @param nodeId                this node's id; empty = generated at start
     * @param redisUri              e.g. {@code redis://127.0.0.1:6379} (or {@code redis-sentinel://…}); for a Redis
     *                              Cluster some of its nodes: {@code redis://host1:7000,host2:7001}
     * @param keyPrefix             prefix of every Redis key and channel; separates clusters sharing a Redis
     * @param routeTtlMillis        a node's routes and heartbeat expire after this long without refresh; default 60000
     * @param refreshIntervalMillis how often routes are refreshed (±20% jitter); default 20000
     */
    public record Cluster(
            String mode,
            String nodeId,
            String redisUri,
            String keyPrefix,
            long routeTtlMillis,
            long refreshIntervalMillis) {
    }

    /**
     * Ephemeral broadcast topics (R6).
     *
     * @param maxSubscriptionsPerConnection topics one connection may subscribe to; default 64
     * @param historyTtlSeconds             a topic's history and epoch are dropped after this long without a
     *                                      publication (recovery then answers {@code epoch_changed}); default 300
     * @param maxDataBytes                  largest {@code data} of one publication once serialized; default 16384
     * @param rules                         who may subscribe and publish, by topic name pattern; the first
     *                                      matching rule decides; token claims can grant more
     */
    public record Topics(int maxSubscriptionsPerConnection, long historyTtlSeconds, int maxDataBytes, List<TopicRule> rules) {
    }

    /**
     * One topic rule.
     *
     * @param pattern     topic name, where {@code *} matches any run of characters
     * @param subscribe   whether any authenticated user may subscribe
     * @param publish     whether any authenticated user may publish (the server API always may)
     * @param historySize publications kept per topic for recovery; 0 = no history
     */
    public record TopicRule(String pattern, boolean subscribe, boolean publish, int historySize) {
    }

    /**
     * Presence events (R7).
     *
     * @param events send {@code presence} events to users who share a group or a 1:1 conversation with a
     *               user who comes online or goes offline; default false
     * @param maxInterestedUsers at most this many users are told about one change; default 1000
     */
    public record Presence(boolean events, int maxInterestedUsers) {
    }

    /**
     * The server API for backend services, the admin page and the metrics, on a port of their own.
     *
     * @param host  bind address; default 127.0.0.1 (keep it internal)
     * @param port  TCP port; 0 picks a free one; -1 disables the API port; default 8081
     * @param keys  accepted API keys ({@code Authorization: Bearer KEY} or {@code X-Api-Key: KEY});
     *              empty = the API refuses every request, except in development mode, which accepts
     *              {@code dev-api-key}
     */
    public record Api(String host, int port, List<String> keys) {
    }

    /**
     * Webhooks (R8, optional): this node POSTs what happens on it, in batches, to the application's
     * backend. Off while {@code url} is empty.
     *
     * @param url           http(s) URL the events are POSTed to; empty (default) = no webhooks
     * @param secret        HMAC-SHA256 key that signs every request, at least {@value #MIN_SECRET_BYTES}
     *                      bytes; required with a {@code url}
     * @param events        which events are sent: any of {@code connect}, {@code disconnect},
     *                      {@code message}; default all three
     * @param queueCapacity events waiting to be sent before new ones are dropped (and counted); default 10000
     * @param maxBatch      events in one request; default 100
     * @param timeoutMillis one request's connect and answer timeout, and the time left at shutdown to send
     *                      what is queued; default 5000
     * @param maxAttempts   tries of a batch that fails with a network error, a timeout, 408, 429 or 5xx,
     *                      the first included; default 5
     */
    public record Webhooks(String url, String secret, List<String> events, int queueCapacity, int maxBatch,
                           long timeoutMillis, int maxAttempts) {
        public static final int MIN_SECRET_BYTES = 32;
        /** The event names {@code events} may hold. */
        public static final List<String> EVENT_NAMES = List.of("connect", "disconnect", "message");

        public Webhooks {
            url = url == null ? "" : url.trim(); // "url:" with no value in YAML is null
            secret = secret == null ? "" : secret;
            if (events == null) {
                throw new IllegalArgumentException("webhooks.events must list some of " + EVENT_NAMES);
            }
            events = List.copyOf(events);
            if (!url.isEmpty()) {
                URI uri;
                try {
                    uri = URI.create(url);
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("webhooks.url is not a URL: " + url, e);
                }
                if (!("http".equals(uri.getScheme()) || "https".equals(uri.getScheme())) || uri.getHost() == null) {
                    throw new IllegalArgumentException("webhooks.url must be an http:// or https:// URL with a host, not " + url);
                }
                if (secret.getBytes(StandardCharsets.UTF_8).length < MIN_SECRET_BYTES) {
                    throw new IllegalArgumentException("webhooks.secret must be at least " + MIN_SECRET_BYTES
                            + " bytes when webhooks.url is set (e.g. openssl rand -hex 32)");
                }
            }
            if (events.isEmpty() || !EVENT_NAMES.containsAll(events)) {
                throw new IllegalArgumentException("webhooks.events must list some of " + EVENT_NAMES + ", not " + events);
            }
            requireWithin("webhooks.queueCapacity", queueCapacity, 1, 1_000_000);
            requireWithin("webhooks.maxBatch", maxBatch, 1, 1_000);
            requireWithin("webhooks.timeoutMillis", timeoutMillis, 100, 60_000);
            requireWithin("webhooks.maxAttempts", maxAttempts, 1, 20);
        }

        private static void requireWithin(String name, long value, long min, long max) {
            if (value < min || value > max) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", not " + value);
            }
        }

        public boolean isEnabled() {
            return !url.isEmpty();
        }

        public boolean sends(String event) {
            return isEnabled() && events.contains(event);
        }
    }

    /**
     * Files (R14): uploaded in chunks over the WebSocket, kept in the store, downloaded over HTTP.
     *
     * @param maxFileBytes         the largest file; 0 turns uploads off; default 16777216 (16 MiB)
     * @param maxOpenUploads       uploads of one user that are not complete; default 8
     * @param incompleteTtlSeconds an upload not completed within this time is deleted; default 86400
     * @param maxDownloads         downloads this node serves at once; more get 503; default 256
     * @param maxQueuedChunkBytes  chunk bytes this node holds while they wait to be stored, all connections
     *                             together; a chunk over it gets {@code store_busy}; default 67108864 (64 MiB)
     */
    public record Files(long maxFileBytes, int maxOpenUploads, long incompleteTtlSeconds, int maxDownloads,
                        long maxQueuedChunkBytes) {
        /** Bytes of a chunk's message that are not data: its header's 2-byte length and the header (at most 1022). */
        public static final int CHUNK_HEADER_ROOM = 1024;

        public Files {
            if (maxFileBytes < 0 || maxFileBytes > (1L << 40)) {
                throw new IllegalArgumentException("files.maxFileBytes must be between 0 (off) and 2^40, not " + maxFileBytes);
            }
            if (maxOpenUploads < 1) {
                throw new IllegalArgumentException("files.maxOpenUploads must be at least 1, not " + maxOpenUploads);
            }
            if (incompleteTtlSeconds < 60) {
                throw new IllegalArgumentException("files.incompleteTtlSeconds must be at least 60, not " + incompleteTtlSeconds);
            }
            if (maxDownloads < 1 || maxQueuedChunkBytes < 1) {
                throw new IllegalArgumentException("files.maxDownloads and files.maxQueuedChunkBytes must be positive");
            }
        }

        public boolean isEnabled() {
            return maxFileBytes > 0;
        }

        /** The most data one chunk may carry: what a data message may hold, less the header's room. */
        public static int chunkBytes(Limits limits) {
            return limits.maxMessageBytes() - CHUNK_HEADER_ROOM;
        }
    }
}
