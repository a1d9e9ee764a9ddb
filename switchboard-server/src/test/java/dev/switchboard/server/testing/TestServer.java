package dev.switchboard.server.testing;

import dev.switchboard.server.SwitchboardServer;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.registry.ConnectionRegistry;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * A real Switchboard node inside the test JVM: port 0, the given data directory, development mode
 * and a known JWT secret. {@link #restart()} stops it gracefully and starts a new one on the same port
 * and data directory, as an operator's restart would.
 */
public final class TestServer implements AutoCloseable {
    public static final String SECRET = "test-secret-test-secret-test-secret-0123";
    public static final String API_KEY = "test-api-key";

    private final Path dataDirectory;
    private final Map<String, Object> overrides;
    private SwitchboardServer server;
    private int port;

    private TestServer(Path dataDirectory, Map<String, Object> overrides) {
        this.dataDirectory = dataDirectory;
        this.overrides = overrides;
    }

    public static TestServer start(Path dataDirectory) throws InterruptedException {
        return start(dataDirectory, Map.of());
    }

    public static TestServer start(Path dataDirectory, Map<String, Object> extraOverrides) throws InterruptedException {
        Map<String, Object> overrides = new LinkedHashMap<>();
        overrides.put("server.port", 0);
        overrides.put("api.port", 0);
        overrides.put("api.keys", List.of(API_KEY));
        overrides.put("server.dataDirectory", dataDirectory.toString());
        overrides.put("auth.devMode", true);
        overrides.put("auth.jwtSecret", SECRET);
        overrides.put("shutdown.drainWindowMillis", 0);
        overrides.putAll(extraOverrides);
        TestServer testServer = new TestServer(dataDirectory, overrides);
        testServer.boot();
        return testServer;
    }

    private void boot() throws InterruptedException {
        ServerConfig config = new ConfigLoader().load(null, Map.of(), overrides);
        server = new SwitchboardServer(config);
        port = server.start();
        overrides.put("server.port", port);
        overrides.put("api.port", server.apiPort());
    }

    /** Graceful stop, then a new node on the same port and data directory. */
    public void restart() throws InterruptedException {
        server.close();
        boot();
    }

    /** Graceful stop only. */
    public void stop() {
        server.close();
    }

    /** The server API's port (API key {@link #API_KEY}). */
    public int apiPort() {
        return server.apiPort();
    }

    public SwitchboardServer server() {
        return server;
    }

    public int port() {
        return port;
    }

    public Path dataDirectory() {
        return dataDirectory;
    }

    public ConnectionRegistry registry() {
        return server.registry();
    }

    public URI webSocketUri() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    /** An HS256 token for {@code user}, valid for {@code timeToLive} (negative = already expired). */
    public static String token(String user, String device, Duration timeToLive) {
        return token(user, device, timeToLive, Map.of());
    }

    /** As {@link #token(String, String, Duration)}, with extra claims (e.g. {@code topics}). */
    public static String token(String user, String device, Duration timeToLive, Map<String, Object> extraClaims) {
        try {
            Instant now = Instant.now();
            JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().subject(user)
                    .expirationTime(Date.from(now.plus(timeToLive)));
            extraClaims.forEach(claims::claim);
            if (device != null) {
                claims.claim("device", device);
            }
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
            jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
