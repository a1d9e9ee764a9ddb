package dev.switchboard.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.switchboard.server.config.ServerConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RS256 and ES256 tokens checked with configured public keys (SPEC R2), signed here with an independent
 * JOSE library; and the algorithm confusions such keys invite, refused.
 */
class PublicKeyTokensTest {
    private static final KeyPair RSA = generate("RSA", 2048);
    private static final KeyPair OTHER_RSA = generate("RSA", 2048);
    private static final KeyPair EC = generateEc("secp256r1");

    private final Clock clock = Clock.fixed(TokenVerifierTest.NOW, ZoneOffset.UTC);

    @TempDir
    Path directory;

    private TokenVerifier verifier(String secret, KeyPair... pairs) {
        return new TokenVerifier(secret, java.util.Arrays.stream(pairs).map(KeyPair::getPublic).toList(), true, clock);
    }

    @Test
    void rs256AndEs256Tokens_areAccepted_byTheirKeys() throws Exception {
        TokenVerifier verifier = verifier("", RSA, EC);

        assertThat(verifier.verify(sign(JWSAlgorithm.RS256, new RSASSASigner(RSA.getPrivate()))).userId()).isEqualTo("alice");
        assertThat(verifier.verify(sign(JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) EC.getPrivate()))).userId())
                .isEqualTo("alice");
    }

    @Test
    void aTokenOfEitherKey_isAccepted_whileBothAreListed() throws Exception { // a key rotation
        TokenVerifier verifier = verifier("", OTHER_RSA, RSA);

        assertThat(verifier.verify(sign(JWSAlgorithm.RS256, new RSASSASigner(RSA.getPrivate()))).userId()).isEqualTo("alice");
        assertThat(verifier.verify(sign(JWSAlgorithm.RS256, new RSASSASigner(OTHER_RSA.getPrivate()))).userId())
                .isEqualTo("alice");
    }

    @Test
    void aTokenSignedByAnotherKey_isRefused() throws Exception {
        String token = sign(JWSAlgorithm.RS256, new RSASSASigner(OTHER_RSA.getPrivate()));

        assertUnauthorized(() -> verifier("", RSA).verify(token), "bad token signature");
    }

    @Test
    void anHs256TokenKeyedWithThePublicKey_isRefused() throws Exception {
        // The classic confusion: the public key's own bytes used as an HMAC secret.
        String publicKeyPem = pem(RSA.getPublic());
        String token = sign(JWSAlgorithm.HS256, new MACSigner(publicKeyPem.getBytes(StandardCharsets.UTF_8)));

        assertUnauthorized(() -> verifier("", RSA).verify(token), "token algorithm must be RS256");
        assertUnauthorized(() -> verifier(TokenVerifierTest.SECRET, RSA).verify(token), "bad token signature");
    }

    @Test
    void aTokenOfAnAlgorithmNoKeyServes_isRefused_namingTheOnesServed() throws Exception {
        String rs256 = sign(JWSAlgorithm.RS256, new RSASSASigner(RSA.getPrivate()));
        String rs384 = sign(JWSAlgorithm.RS384, new RSASSASigner(RSA.getPrivate()));

        assertUnauthorized(() -> verifier(TokenVerifierTest.SECRET, EC).verify(rs256), "token algorithm must be HS256 or ES256");
        assertUnauthorized(() -> verifier("", RSA).verify(rs384), "token algorithm must be RS256");
    }

    @Test
    void anEs256TokenWithADerSignature_isRefused() throws Exception {
        // JWS puts R and S side by side (64 bytes); Java's default ECDSA encoding (DER) is not a JWS signature.
        String signingInput = header("ES256") + "." + Base64URL.encode("{\"sub\":\"alice\",\"exp\":1893459600}");
        Signature der = Signature.getInstance("SHA256withECDSA");
        der.initSign(EC.getPrivate());
        der.update(signingInput.getBytes(StandardCharsets.US_ASCII));
        String token = signingInput + "." + Base64URL.encode(der.sign());

        assertUnauthorized(() -> verifier("", EC).verify(token), "bad token signature");
    }

    @Test
    void theKeyFile_isReadAtStart_andItsKeysCheckHandshakeTokens() throws Exception {
        Path file = directory.resolve("keys.pem");
        Files.writeString(file, "# the new key and the old one\n" + pem(EC.getPublic()) + pem(RSA.getPublic()));
        HandshakeAuthenticator authenticator = new HandshakeAuthenticator(
                new ServerConfig.Auth(false, "", file.toString(), true, "multi-device"), clock);
        String token = sign(JWSAlgorithm.RS256, new RSASSASigner(RSA.getPrivate()));

        Principal principal = authenticator.authenticate(HandshakeAuthenticatorTest.request("/ws?device=phone&token=" + token));

        assertThat(principal.userId()).isEqualTo("alice");
    }

    @Test
    void aKeyFileThatCannotServe_stopsTheStart_sayingWhy() throws Exception {
        Path missing = directory.resolve("missing.pem");
        assertThatThrownBy(() -> PemPublicKeys.read(missing)).hasMessageContaining("cannot be read");

        assertThatThrownBy(() -> PemPublicKeys.parse("no key here", "keys.pem")).hasMessageContaining("no -----BEGIN PUBLIC KEY");
        assertThatThrownBy(() -> PemPublicKeys.parse(pem(generate("RSA", 1024).getPublic()), "keys.pem"))
                .hasMessageContaining("public key 1 is RSA of 1024 bits");
        assertThatThrownBy(() -> PemPublicKeys.parse(pem(EC.getPublic()) + pem(generateEc("secp384r1").getPublic()), "keys.pem"))
                .hasMessageContaining("public key 2 is EC on a 384-bit curve");
        assertThatThrownBy(() -> PemPublicKeys.parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "keys.pem"))
                .hasMessageContaining("neither an RSA nor an EC key");
    }

    @Test
    void aVerifierWithNoKeyAtAll_cannotBeMade() {
        assertThatThrownBy(() -> new TokenVerifier("", List.of(), true, clock)).hasMessageContaining("no token key");
    }

    private static String sign(JWSAlgorithm algorithm, JWSSigner signer) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader(algorithm), TokenVerifierTest.validClaims("alice").build());
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String header(String algorithm) {
        return Base64URL.encode("{\"alg\":\"" + algorithm + "\"}").toString();
    }

    static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }

    private static KeyPair generate(String algorithm, int bits) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            generator.initialize(bits);
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static KeyPair generateEc(String curve) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec(curve));
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void assertUnauthorized(org.assertj.core.api.ThrowableAssert.ThrowingCallable call, String reasonPart) {
        assertThatThrownBy(call).isInstanceOf(HandshakeRejectedException.class)
                .satisfies(e -> assertThat(((HandshakeRejectedException) e).status()).isEqualTo(401))
                .hasMessageContaining(reasonPart);
    }
}
