package dev.switchboard.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Date;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class TokenVerifierTest {
    /** 64 bytes: long enough for HS512 too, so an HS512 token fails on its algorithm, not its key. */
    static final String SECRET = "switchboard-test-secret-0123456789-switchboard-test-secret-01234";
    static final Instant NOW = Instant.parse("2030-01-01T00:00:00Z");

    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final TokenVerifier verifier = new TokenVerifier(SECRET, true, clock);

    @Test
    void verify_returnsClaims_whenTokenIsValid() throws Exception {
        Instant expiry = NOW.plus(Duration.ofHours(1));
        String token = sign(claims("alice").claim("device", "phone").expirationTime(Date.from(expiry)).build());

        TokenVerifier.VerifiedToken verified = verifier.verify(token);

        assertThat(verified.userId()).isEqualTo("alice");
        assertThat(verified.deviceId()).isEqualTo("phone");
        assertThat(verified.expiresAtMillis())
                .as("expiry is exp plus the clock skew the verifier accepts")
                .isEqualTo(expiry.toEpochMilli() + TokenVerifier.CLOCK_SKEW_MILLIS);
    }

    @Test
    void verify_returnsNullDevice_whenTokenHasNoDeviceClaim() throws Exception {
        String token = sign(validClaims("alice").build());

        assertThat(verifier.verify(token).deviceId()).isNull();
    }

    @Test
    void verify_accepts_whenExpiredWithinClockSkew() throws Exception {
        String token = sign(claims("alice").expirationTime(Date.from(NOW.minusSeconds(30))).build());

        assertThat(verifier.verify(token).userId()).isEqualTo("alice");
    }

    @Test
    void verify_rejectsWith401_whenExpiredBeyondClockSkew() throws Exception {
        String token = sign(claims("alice").expirationTime(Date.from(NOW.minusSeconds(61))).build());

        assertUnauthorized(() -> verifier.verify(token), "expired");
    }

    @Test
    void verify_rejectsWith401_whenSignedWithAnotherKey() throws Exception {
        String token = sign(validClaims("alice").build(), JWSAlgorithm.HS256,
                "another-secret-another-secret-another-secret-64-bytes-long-00000");

        assertUnauthorized(() -> verifier.verify(token), "signature");
    }

    @Test
    void verify_rejectsWith401_whenAlgorithmIsNone() {
        String token = unsigned("{\"alg\":\"none\"}",
                "{\"sub\":\"alice\",\"exp\":" + NOW.plusSeconds(3600).getEpochSecond() + "}");

        assertUnauthorized(() -> verifier.verify(token), null);
    }

    @Test
    void verify_rejectsWith401_whenAlgorithmIsNoneWithTypeHeader() {
        String token = unsigned("{\"alg\":\"none\",\"typ\":\"JWT\"}",
                "{\"sub\":\"alice\",\"exp\":" + NOW.plusSeconds(3600).getEpochSecond() + "}");

        assertUnauthorized(() -> verifier.verify(token), null);
    }

    @Test
    void verify_rejectsWith401_whenSignedWithHs512() throws Exception {
        String token = sign(validClaims("alice").build(), JWSAlgorithm.HS512, SECRET);

        assertUnauthorized(() -> verifier.verify(token), "HS256");
    }

    @Test
    void verify_rejectsWith401_whenExpiryMissingAndRequired() throws Exception {
        String token = sign(claims("alice").build());

        assertUnauthorized(() -> verifier.verify(token), "exp");
    }

    @Test
    void verify_accepts_whenExpiryMissingAndNotRequired() throws Exception {
        TokenVerifier lenient = new TokenVerifier(SECRET, false, clock);
        String token = sign(claims("alice").build());

        TokenVerifier.VerifiedToken verified = lenient.verify(token);

        assertThat(verified.userId()).isEqualTo("alice");
        assertThat(verified.expiresAtMillis()).as("0 means the token never expires").isZero();
    }

    @Test
    void verify_rejectsWith401_whenSubjectMissing() throws Exception {
        String token = sign(new JWTClaimsSet.Builder().expirationTime(Date.from(NOW.plusSeconds(3600))).build());

        assertUnauthorized(() -> verifier.verify(token), "sub");
    }

    @Test
    void verify_rejectsWith401_whenSubjectIsNotAValidUserId() throws Exception {
        String token = sign(validClaims("alice smith").build());

        assertUnauthorized(() -> verifier.verify(token), "sub");
    }

    @Test
    void verify_rejectsWith401_whenDeviceClaimIsInvalid() throws Exception {
        String token = sign(validClaims("alice").claim("device", "my phone").build());

        assertUnauthorized(() -> verifier.verify(token), "device");
    }

    @Test
    void verify_rejectsWith401_whenNotBeforeIsInTheFuture() throws Exception {
        String token = sign(validClaims("alice").notBeforeTime(Date.from(NOW.plusSeconds(120))).build());

        assertUnauthorized(() -> verifier.verify(token), "not yet valid");
    }

    @Test
    void verify_accepts_whenNotBeforeIsWithinClockSkew() throws Exception {
        String token = sign(validClaims("alice").notBeforeTime(Date.from(NOW.plusSeconds(30))).build());

        assertThat(verifier.verify(token).userId()).isEqualTo("alice");
    }

    @Test
    void verify_rejectsWith401_whenTokenIsMalformed() {
        assertUnauthorized(() -> verifier.verify("not-a-jwt"), "malformed");
    }

    @Test
    void verify_rejectsWith401_whenClaimsAreSwappedUnderAnotherTokensSignature() throws Exception {
        String alice = sign(validClaims("alice").build());
        String mallory = sign(validClaims("mallory").build());
        String[] aliceParts = alice.split("\\.");
        String[] malloryParts = mallory.split("\\.");

        assertUnauthorized(() -> verifier.verify(aliceParts[0] + "." + malloryParts[1] + "." + aliceParts[2]), "signature");
    }

    @Test
    void verify_rejectsWith401_whenSignatureIsMissingOrTruncated() throws Exception {
        String token = sign(validClaims("alice").build());
        String withoutSignature = token.substring(0, token.lastIndexOf('.') + 1);

        assertUnauthorized(() -> verifier.verify(withoutSignature), "signature");
        assertUnauthorized(() -> verifier.verify(token.substring(0, token.length() - 4)), "signature");
        assertUnauthorized(() -> verifier.verify(token + ".extra"), "malformed");
    }

    @Test
    void verify_rejectsWith401_whenHeaderHasCriticalParameters() throws Exception {
        JWSHeader header = new JWSHeader.Builder(JWSAlgorithm.HS256).customParam("exp-ext", 1)
                .criticalParams(java.util.Set.of("exp-ext")).build();
        SignedJWT jwt = new SignedJWT(header, validClaims("alice").build());
        jwt.sign(new MACSigner(SECRET.getBytes(StandardCharsets.UTF_8)));

        assertUnauthorized(() -> verifier.verify(jwt.serialize()), "critical");
    }

    @Test
    void verify_readsTopicGrants_andRejectsMalformedOnes() throws Exception {
        String token = sign(validClaims("alice").claim("topics",
                java.util.Map.of("subscribe", java.util.List.of("news.*"), "publish", java.util.List.of("chat.alice"))).build());

        TokenVerifier.VerifiedToken verified = verifier.verify(token);

        assertThat(verified.topicGrants().maySubscribe("news.sport")).isTrue();
        assertThat(verified.topicGrants().mayPublish("chat.alice")).isTrue();
        assertThat(verified.topicGrants().mayPublish("news.sport")).isFalse();
        String malformed = sign(validClaims("alice").claim("topics", java.util.List.of("news.*")).build());
        assertUnauthorized(() -> verifier.verify(malformed), "topics");
    }

    @Test
    void construct_throwsIllegalArgument_whenSecretIsShorterThan32Bytes() {
        assertThatThrownBy(() -> new TokenVerifier("0123456789abcdef0123456789abcde", true, clock))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("32 bytes");
    }

    static JWTClaimsSet.Builder claims(String subject) {
        return new JWTClaimsSet.Builder().subject(subject);
    }

    static JWTClaimsSet.Builder validClaims(String subject) {
        return claims(subject).expirationTime(Date.from(NOW.plus(Duration.ofHours(1))));
    }

    static String sign(JWTClaimsSet claims) throws JOSEException {
        return sign(claims, JWSAlgorithm.HS256, SECRET);
    }

    static String sign(JWTClaimsSet claims, JWSAlgorithm algorithm, String secret) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(algorithm), claims);
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        return jwt.serialize();
    }

    private static String unsigned(String headerJson, String claimsJson) {
        Base64.Encoder encoder = Base64.getUrlEncoder().withoutPadding();
        return encoder.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
                + encoder.encodeToString(claimsJson.getBytes(StandardCharsets.UTF_8)) + ".";
    }

    private static void assertUnauthorized(ThrowingCallable call, String reasonPart) {
        var assertion = assertThatThrownBy(call)
                .isInstanceOf(HandshakeRejectedException.class)
                .satisfies(e -> assertThat(((HandshakeRejectedException) e).status()).as("HTTP status").isEqualTo(401))
                .satisfies(e -> assertThat(((HandshakeRejectedException) e).error()).isEqualTo("unauthorized"));
        if (reasonPart != null) {
            assertion.hasMessageContaining(reasonPart);
        }
    }
}
