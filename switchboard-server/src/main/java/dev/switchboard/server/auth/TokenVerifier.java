package dev.switchboard.server.auth;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.topic.TopicGrants;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;

/**
 * Verifies JWTs (RFC 7519, compact JWS of RFC 7515) signed with HS256 (the shared secret), RS256 or
 * ES256 (configured public keys; {@link TokenKeys}): the signature, {@code exp}/{@code nbf} with 60 s
 * of clock skew, and the {@code sub} and {@code device} claims' syntax. Any other algorithm,
 * including {@code none}, is refused, and so is one no configured key serves, and a {@code crit}
 * header (no extension is understood). Thread-safe; one signature check and two small JSON parses,
 * which for HS256 is cheap enough to run on an event loop ({@link TokenKeys} on the others' cost).
 *
 * @implNote Handshakes per second is a published figure (docs/BENCHMARKS.md) and verification was a
 * tenth of a handshake's CPU with a general JOSE library (a fresh MAC per token, claims parsed into maps
 * by an embedded JSON parser). This verifier keeps one initialised {@link javax.crypto.Mac} per thread,
 * checks the signature before parsing the claims (a forged token costs one check), compares in
 * constant time, and reads the claims with the server's Jackson. Tests sign tokens with that JOSE
 * library, so both sides of the format are checked against an independent implementation.
 */
public final class TokenVerifier {
    static final long CLOCK_SKEW_MILLIS = 60_000;
    private static final int MAX_TOKEN_CHARS = 8192;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final TokenKeys keys;
    private final boolean requireExpiry;
    private final Clock clock;

    /**
     * @param secret     HS256 key, at least 32 bytes (256 bits), or empty for none
     * @param publicKeys RS256 and ES256 keys ({@link PemPublicKeys}), possibly none
     * @throws IllegalArgumentException if there is no key at all, or a key is unfit
     */
    public TokenVerifier(String secret, List<PublicKey> publicKeys, boolean requireExpiry, Clock clock) {
        this.keys = new TokenKeys(secret, publicKeys);
        if (!keys.any()) {
            throw new IllegalArgumentException("no token key: set auth.jwtSecret or auth.jwtPublicKeyFile");
        }
        this.requireExpiry = requireExpiry;
        this.clock = clock;
    }

    /** An HS256-only verifier. */
    public TokenVerifier(String secret, boolean requireExpiry, Clock clock) {
        this(secret, List.of(), requireExpiry, clock);
    }

    /** Verified claims of a token. {@code deviceId} is null when the token has no device claim. */
    public record VerifiedToken(String userId, String deviceId, long expiresAtMillis, TopicGrants topicGrants) {
    }

    /** Returns the verified claims, or throws with a reason fit for a 401 body. */
    public VerifiedToken verify(String token) throws HandshakeRejectedException {
        return verify(parse(token));
    }

    /**
     * A token split into its parts, its header checked: what is left to do is the signature check
     * (cheap for HS256, not for the public-key algorithms: {@link #isCheap}) and the claims.
     */
    record ParsedToken(String algorithm, String token, int firstDot, int secondDot, byte[] signature) {
    }

    /** Checks the token's form and header; throws with a reason fit for a 401 body. */
    ParsedToken parse(String token) throws HandshakeRejectedException {
        int firstDot = token.indexOf('.');
        int secondDot = firstDot < 0 ? -1 : token.indexOf('.', firstDot + 1);
        if (token.length() > MAX_TOKEN_CHARS || secondDot < 0 || token.indexOf('.', secondDot + 1) >= 0) {
            throw unauthorized("malformed token");
        }
        JsonNode header = json(token, 0, firstDot, "malformed token");
        String algorithm = header.path("alg").asText("");
        if (!keys.serves(algorithm)) {
            throw unauthorized("token algorithm must be " + keys.accepted());
        }
        if (header.has("crit")) {
            throw unauthorized("token has critical header parameters");
        }
        byte[] signature = base64Url(token, secondDot + 1, token.length(), "bad token signature");
        return new ParsedToken(algorithm, token, firstDot, secondDot, signature);
    }

    /** Whether checking this token's signature costs about as little as an HMAC (HS256). */
    static boolean isCheap(ParsedToken token) {
        return "HS256".equals(token.algorithm());
    }

    /** Checks a parsed token's signature, then its claims; any thread. */
    VerifiedToken verify(ParsedToken parsed) throws HandshakeRejectedException {
        String token = parsed.token();
        byte[] signingInput = token.substring(0, parsed.secondDot()).getBytes(StandardCharsets.US_ASCII);
        if (!keys.verify(parsed.algorithm(), signingInput, parsed.signature())) {
            throw unauthorized("bad token signature");
        }
        JsonNode claims = json(token, parsed.firstDot() + 1, parsed.secondDot(), "malformed token claims");
        return verifiedClaims(claims);
    }

    private VerifiedToken verifiedClaims(JsonNode claims) throws HandshakeRejectedException {
        long now = clock.millis();
        long expiry = numericDateMillis(claims, "exp");
        if (expiry == Long.MIN_VALUE && requireExpiry) {
            throw unauthorized("token has no exp");
        }
        if (expiry != Long.MIN_VALUE && expiry + CLOCK_SKEW_MILLIS <= now) {
            throw unauthorized("token expired");
        }
        long notBefore = numericDateMillis(claims, "nbf");
        if (notBefore != Long.MIN_VALUE && notBefore - CLOCK_SKEW_MILLIS > now) {
            throw unauthorized("token not yet valid");
        }
        JsonNode subject = claims.get("sub");
        if (subject == null || !subject.isTextual() || !Identifiers.isValidUserId(subject.textValue())) {
            throw unauthorized("token sub missing or not a valid user id");
        }
        JsonNode device = claims.get("device");
        if (device != null && !device.isNull() && !(device.isTextual() && Identifiers.isValidDeviceId(device.textValue()))) {
            throw unauthorized("token device claim is not a valid device id");
        }
        return new VerifiedToken(subject.textValue(), device == null || device.isNull() ? null : device.textValue(),
                expiry == Long.MIN_VALUE ? 0 : expiry + CLOCK_SKEW_MILLIS, topicGrants(claims.get("topics")));
    }

    /** A NumericDate claim (seconds since the epoch, possibly fractional) in milliseconds; MIN_VALUE if absent. */
    private static long numericDateMillis(JsonNode claims, String name) throws HandshakeRejectedException {
        JsonNode value = claims.get(name);
        if (value == null || value.isNull()) {
            return Long.MIN_VALUE;
        }
        if (!value.isNumber()) {
            throw unauthorized("malformed token claims");
        }
        return (long) (value.doubleValue() * 1000);
    }

    /** The {@code topics} claim: {@code {"subscribe":[patterns],"publish":[patterns]}}; anything else is refused. */
    private static TopicGrants topicGrants(JsonNode claim) throws HandshakeRejectedException {
        if (claim == null || claim.isNull()) {
            return TopicGrants.NONE;
        }
        if (!claim.isObject()) {
            throw unauthorized("token topics claim must be an object");
        }
        return new TopicGrants(patterns(claim.get("subscribe")), patterns(claim.get("publish")), false);
    }

    private static List<String> patterns(JsonNode value) throws HandshakeRejectedException {
        if (value == null || value.isNull()) {
            return List.of();
        }
        if (!value.isArray()) {
            throw unauthorized("token topics claim must hold lists of patterns");
        }
        List<String> patterns = new ArrayList<>(value.size());
        for (JsonNode pattern : value) {
            if (!pattern.isTextual() || pattern.textValue().isEmpty() || pattern.textValue().length() > 256) {
                throw unauthorized("token topics claim holds an invalid pattern");
            }
            patterns.add(pattern.textValue());
        }
        return patterns;
    }

    /** One base64url part of the token parsed as a JSON object. */
    private static JsonNode json(String token, int start, int end, String reason) throws HandshakeRejectedException {
        try {
            JsonNode node = JSON.readTree(base64Url(token, start, end, reason));
            if (node == null || !node.isObject()) {
                throw unauthorized(reason);
            }
            return node;
        } catch (IOException e) { // malformed JSON included
            throw unauthorized(reason);
        }
    }

    private static byte[] base64Url(String token, int start, int end, String reason) throws HandshakeRejectedException {
        if (start >= end) {
            throw unauthorized(reason);
        }
        try {
            return Base64.getUrlDecoder().decode(token.substring(start, end));
        } catch (IllegalArgumentException e) {
            throw unauthorized(reason);
        }
    }

    private static HandshakeRejectedException unauthorized(String reason) {
        return new HandshakeRejectedException(401, "unauthorized", reason);
    }
}
