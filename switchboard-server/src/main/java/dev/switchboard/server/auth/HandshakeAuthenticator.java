package dev.switchboard.server.auth;

import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.topic.TopicGrants;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decides, from the upgrade request alone, who is connecting: token from {@code ?token=} or
 * {@code Authorization: Bearer}, device from the token or {@code ?device=}, and in development mode
 * {@code ?user=} without a token. {@link #authenticateAsync} runs on the event loop
 * (no I/O), but for an RS256 or ES256 token's signature: that check costs up to milliseconds of CPU
 * ({@link TokenKeys}), so it runs on this authenticator's own token-check threads, and the loop's
 * other connections do not wait for it.
 */
public final class HandshakeAuthenticator implements AutoCloseable {
    private static final String BEARER = "bearer ";
    /** Public-key checks waiting for a token-check thread; past that, handshakes get 503 until the queue drains. */
    static final int MAX_WAITING_CHECKS = 1024;

    private final TokenVerifier tokenVerifier;
    private final boolean devMode;
    /** Null unless public keys are configured. */
    private final Executor tokenChecks;
    /** The token-check threads this authenticator started, which {@link #close} stops; null if none. */
    private final ExecutorService ownTokenChecks;

    public HandshakeAuthenticator(ServerConfig.Auth config, Clock clock) {
        this(config, clock, null);
    }

    /** @param tokenChecks where public-key checks run; null: this authenticator's own token-check threads */
    HandshakeAuthenticator(ServerConfig.Auth config, Clock clock, Executor tokenChecks) {
        String secret = config.jwtSecret() == null ? "" : config.jwtSecret();
        String keyFile = config.jwtPublicKeyFile() == null ? "" : config.jwtPublicKeyFile();
        List<PublicKey> publicKeys = keyFile.isEmpty() ? List.of() : PemPublicKeys.read(Path.of(keyFile));
        this.tokenVerifier = secret.isEmpty() && publicKeys.isEmpty()
                ? null : new TokenVerifier(secret, publicKeys, config.requireExpiry(), clock);
        this.devMode = config.devMode();
        if (tokenVerifier == null && !devMode) {
            throw new IllegalArgumentException("neither auth.jwtSecret nor auth.jwtPublicKeyFile is configured and "
                    + "development mode is off: nobody could connect");
        }
        this.ownTokenChecks = publicKeys.isEmpty() || tokenChecks != null ? null : tokenCheckThreads();
        this.tokenChecks = publicKeys.isEmpty() ? null : tokenChecks != null ? tokenChecks : ownTokenChecks;
    }

    /** Half the cores (at least one): the checks are pure CPU, and the event loops need the rest. */
    private static ThreadPoolExecutor tokenCheckThreads() {
        int threads = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        AtomicInteger number = new AtomicInteger();
        return new ThreadPoolExecutor(threads, threads, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(MAX_WAITING_CHECKS), runnable -> {
                    Thread thread = new Thread(runnable, "token-check-" + number.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /** Who is connecting, decided on the calling thread whatever the token's algorithm. */
    public Principal authenticate(HttpRequest request) throws HandshakeRejectedException {
        Started started = start(request);
        return started.principal() != null ? started.principal() : finish(started);
    }

    /**
     * Who is connecting. Completes at once, but for an RS256 or ES256 token: its signature is then
     * checked on a token-check thread, and the future completes there. Fails with a
     * {@link HandshakeRejectedException} to answer with: 400 or 401 as {@link #authenticate(HttpRequest)},
     * or 503 when the token-check threads are {@value #MAX_WAITING_CHECKS} checks behind.
     */
    public CompletableFuture<Principal> authenticateAsync(HttpRequest request) {
        Started started;
        try {
            started = start(request);
            if (started.principal() != null || tokenChecks == null || TokenVerifier.isCheap(started.token())) {
                return CompletableFuture.completedFuture(started.principal() != null ? started.principal() : finish(started));
            }
        } catch (HandshakeRejectedException e) {
            return CompletableFuture.failedFuture(e);
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return finish(started);
                } catch (HandshakeRejectedException e) {
                    throw new CompletionException(e);
                }
            }, tokenChecks);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new HandshakeRejectedException(503, "unavailable", "token checks are busy"));
        }
    }

    /** What the request says before any signature check: a principal already (development mode), or a parsed token. */
    private record Started(Principal principal, TokenVerifier.ParsedToken token, String queryDevice) {
    }

    private Started start(HttpRequest request) throws HandshakeRejectedException {
        Map<String, List<String>> query = new QueryStringDecoder(request.uri()).parameters();
        String token = first(query, "token");
        String authorization = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        // An empty ?token= (a client that had none to put there) defers to the header, if any.
        if ((token == null || token.isEmpty()) && authorization != null
                && authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            token = authorization.substring(BEARER.length()).trim();
        }
        String queryDevice = first(query, "device");
        if (queryDevice != null && !Identifiers.isValidDeviceId(queryDevice)) {
            throw new HandshakeRejectedException(400, "bad_request", "device is not a valid device id");
        }
        if (token != null && !token.isEmpty()) {
            if (tokenVerifier == null) {
                throw new HandshakeRejectedException(401, "unauthorized", "tokens are not configured on this server");
            }
            return new Started(null, tokenVerifier.parse(token), queryDevice);
        }
        String user = first(query, "user");
        if (devMode && user != null) {
            if (!Identifiers.isValidUserId(user)) {
                throw new HandshakeRejectedException(400, "bad_request", "user is not a valid user id");
            }
            return new Started(new Principal(user, queryDevice != null ? queryDevice : generatedDevice(), 0, TopicGrants.ALL),
                    null, queryDevice);
        }
        throw new HandshakeRejectedException(401, "unauthorized", "missing token");
    }

    private Principal finish(Started started) throws HandshakeRejectedException {
        TokenVerifier.VerifiedToken verified = tokenVerifier.verify(started.token());
        String device = verified.deviceId() != null ? verified.deviceId() : started.queryDevice();
        return new Principal(verified.userId(), device != null ? device : generatedDevice(), verified.expiresAtMillis(),
                verified.topicGrants());
    }

    /** Stops the token-check threads: checks still queued never run, and their handshakes end with their channels. */
    @Override
    public void close() {
        if (ownTokenChecks != null) {
            ownTokenChecks.shutdownNow();
        }
    }

    private static String generatedDevice() {
        return "anon-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
