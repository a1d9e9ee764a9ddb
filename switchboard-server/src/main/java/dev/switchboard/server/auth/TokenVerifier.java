package dev.switchboard.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.topic.TopicGrants;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;

/**
 * Verifies HS256 JWTs: signature with the shared secret, {@code exp}/{@code nbf} with 60 s of
 * clock skew, and the {@code sub} and {@code device} claims' syntax. Any other algorithm, including
 * {@code none}, is refused. Thread-safe; cheap enough (one HMAC) to run on an event loop.
 */
public final class TokenVerifier {
    static final long CLOCK_SKEW_MILLIS = 60_000;

    private final MACVerifier verifier;
    private final boolean requireExpiry;
    private final Clock clock;

    /**
     * @param secret HS256 key, at least 32 bytes (256 bits)
     */
    public TokenVerifier(String secret, boolean requireExpiry, Clock clock) {
        try {
            this.verifier = new MACVerifier(secret.getBytes(StandardCharsets.UTF_8));
        } catch (JOSEException e) {
            throw new IllegalArgumentException("auth.jwtSecret must be at least 32 bytes for HS256", e);
        }
        this.requireExpiry = requireExpiry;
        this.clock = clock;
    }

    /** Verified claims of a token. {@code deviceId} is null when the token has no device claim. */
    public record VerifiedToken(String userId, String deviceId, long expiresAtMillis, TopicGrants topicGrants) {
    }

    /** Returns the verified claims, or throws with a reason fit for a 401 body. */
    public VerifiedToken verify(String token) throws HandshakeRejectedException {
        SignedJWT jwt;
        try {
            jwt = SignedJWT.parse(token);
        } catch (ParseException e) {
            throw unauthorized("malformed token");
        }
        if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
            throw unauthorized("token algorithm must be HS256");
        }
        try {
            if (!jwt.verify(verifier)) {
                throw unauthorized("bad token signature");
            }
        } catch (JOSEException e) {
            throw unauthorized("bad token signature");
        }
        JWTClaimsSet claims;
        try {
            claims = jwt.getJWTClaimsSet();
        } catch (ParseException e) {
            throw unauthorized("malformed token claims");
        }
        long now = clock.millis();
        Date expiry = claims.getExpirationTime();
        if (expiry == null && requireExpiry) {
            throw unauthorized("token has no exp");
        }
        if (expiry != null && expiry.getTime() + CLOCK_SKEW_MILLIS <= now) {
            throw unauthorized("token expired");
        }
        Date notBefore = claims.getNotBeforeTime();
        if (notBefore != null && notBefore.getTime() - CLOCK_SKEW_MILLIS > now) {
            throw unauthorized("token not yet valid");
        }
        String subject = claims.getSubject();
        if (!Identifiers.isValidUserId(subject)) {
            throw unauthorized("token sub missing or not a valid user id");
        }
        Object device = claims.getClaim("device");
        if (device != null && !(device instanceof String && Identifiers.isValidDeviceId((String) device))) {
            throw unauthorized("token device claim is not a valid device id");
        }
        return new VerifiedToken(subject, (String) device, expiry == null ? 0 : expiry.getTime() + CLOCK_SKEW_MILLIS,
                topicGrants(claims.getClaim("topics")));
    }

    /** The {@code topics} claim: {@code {"subscribe":[patterns],"publish":[patterns]}}; anything else is refused. */
    private static TopicGrants topicGrants(Object claim) throws HandshakeRejectedException {
        if (claim == null) {
            return TopicGrants.NONE;
        }
        if (!(claim instanceof Map<?, ?> grants)) {
            throw unauthorized("token topics claim must be an object");
        }
        return new TopicGrants(patterns(grants.get("subscribe")), patterns(grants.get("publish")), false);
    }

    private static List<String> patterns(Object value) throws HandshakeRejectedException {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> list)) {
            throw unauthorized("token topics claim must hold lists of patterns");
        }
        List<String> patterns = new ArrayList<>(list.size());
        for (Object pattern : list) {
            if (!(pattern instanceof String text) || text.isEmpty() || text.length() > 256) {
                throw unauthorized("token topics claim holds an invalid pattern");
            }
            patterns.add(text);
        }
        return patterns;
    }

    private static HandshakeRejectedException unauthorized(String reason) {
        return new HandshakeRejectedException(401, "unauthorized", reason);
    }
}
