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

/**
 * Decides, from the upgrade request alone, who is connecting: token from {@code ?token=} or
 * {@code Authorization: Bearer}, device from the token or {@code ?device=}, and in development mode
 * {@code ?user=} without a token. Runs on the event loop (no I/O).
 */
public final class HandshakeAuthenticator {
    private static final String BEARER = "bearer ";

    private final TokenVerifier tokenVerifier;
    private final boolean devMode;

    public HandshakeAuthenticator(ServerConfig.Auth config, Clock clock) {
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
    }

    public Principal authenticate(HttpRequest request) throws HandshakeRejectedException {
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
            TokenVerifier.VerifiedToken verified = tokenVerifier.verify(token);
            String device = verified.deviceId() != null ? verified.deviceId() : queryDevice;
            return new Principal(verified.userId(), device != null ? device : generatedDevice(), verified.expiresAtMillis(),
                    verified.topicGrants());
        }
        String user = first(query, "user");
        if (devMode && user != null) {
            if (!Identifiers.isValidUserId(user)) {
                throw new HandshakeRejectedException(400, "bad_request", "user is not a valid user id");
            }
            return new Principal(user, queryDevice != null ? queryDevice : generatedDevice(), 0, TopicGrants.ALL);
        }
        throw new HandshakeRejectedException(401, "unauthorized", "missing token");
    }

    private static String generatedDevice() {
        return "anon-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static String first(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }
}
