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
    void aPublicKeySignature_isCheckedOnTheTokenCheckExecutor_andAnHs256OneAtOnce() throws Exception {
        Path file = directory.resolve("keys.pem");
        Files.writeString(file, pem(RSA.getPublic()));
        java.util.Queue<Runnable> tokenChecks = new java.util.ArrayDeque<>();
        HandshakeAuthenticator authenticator = new HandshakeAuthenticator(
                new ServerConfig.Auth(false, TokenVerifierTest.SECRET, file.toString(), true, "multi-device"), clock,
                tokenChecks::add);
        String rs256 = sign(JWSAlgorithm.RS256, new RSASSASigner(RSA.getPrivate()));
        String hs256 = TokenVerifierTest.sign(TokenVerifierTest.validClaims("bob").build());

        var offloaded = authenticator.authenticateAsync(HandshakeAuthenticatorTest.request("/ws?device=phone&token=" + rs256));
        var atOnce = authenticator.authenticateAsync(HandshakeAuthenticatorTest.request("/ws?device=phone&token=" + hs256));

        assertThat(atOnce.join().userId()).isEqualTo("bob");
        assertThat(offloaded).as("waits for the executor").isNotDone();
        assertThat(tokenChecks).hasSize(1);
        tokenChecks.poll().run();
        assertThat(offloaded.join().userId()).isEqualTo("alice");
    }

    @Test
    void anOffloadedCheckThatFails_failsTheFutureWithThe401() throws Exception {
        Path file = directory.resolve("keys.pem");
        Files.writeString(file, pem(RSA.getPublic()));
        HandshakeAuthenticator authenticator = new HandshakeAuthenticator(
                new ServerConfig.Auth(false, "", file.toString(), true, "multi-device"), clock, Runnable::run);
        String forged = sign(JWSAlgorithm.RS256, new RSASSASigner(OTHER_RSA.getPrivate()));

        var result = authenticator.authenticateAsync(HandshakeAuthenticatorTest.request("/ws?device=phone&token=" + forged));

        assertThat(result).isCompletedExceptionally();
        assertThat(result.handle((principal, error) -> error.getCause()).join())
                .isInstanceOf(HandshakeRejectedException.class).hasMessage("bad token signature");
    }

    @Test
    void aKeyFileThatCannotServe_stopsTheStart_sayingWhy() throws Exception {
        Path missing = directory.resolve("missing.pem");
        assertThatThrownBy(() -> PemPublicKeys.read(missing)).hasMessageContaining("cannot be read");

        assertThatThrownBy(() -> PemPublicKeys.parse("no key here", "keys.pem")).hasMessageContaining("no -----BEGIN PUBLIC KEY");
        assertThatThrownBy(() -> PemPublicKeys.parse(pem(generate("RSA", 1024).getPublic()), "keys.pem"))
                .hasMessageContaining("public key 1 is RSA of 1024 bits");
        assertThatThrownBy(() -> PemPublicKeys.parse(pem(EC.getPublic()) + pem(generateEc("secp384r1").getPublic()), "keys.pem"))
                .hasMessageContaining("public key 2 is EC on another curve than P-256");
        assertThatThrownBy(() -> PemPublicKeys.parse("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----", "keys.pem"))
                .hasMessageContaining("neither an RSA nor an EC key");
    }

    @Test
    void es256SignaturesWithRorSOutOfRange_areRefusedBeforeTheJdkSeesThem() throws Exception {
        // CVE-2022-21449: JDK 17.0.0 to 17.0.2 accepted R = S = 0 for any message and key.
        String signingInput = header("ES256") + "." + Base64URL.encode("{\"sub\":\"mallory\",\"exp\":1893459600}");
        byte[] order = new java.math.BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)
                .toByteArray(); // 33 bytes: a leading zero
        byte[] orderTwice = new byte[64];
        System.arraycopy(order, 1, orderTwice, 0, 32);
        System.arraycopy(order, 1, orderTwice, 32, 32);

        for (byte[] signature : List.of(new byte[64], orderTwice)) {
            assertThat(TokenKeys.isEs256InRange(signature)).isFalse();
            assertUnauthorized(() -> verifier("", EC).verify(signingInput + "." + Base64URL.encode(signature)),
                    "bad token signature");
        }
        byte[] one = new byte[64];
        one[31] = 1;
        one[63] = 1;
        assertThat(TokenKeys.isEs256InRange(one)).isTrue();
    }

    @Test
    void aKeyFileWithABlockThatIsNotAPublicKey_orOnAnotherCurve_stopsTheStart() {
        String good = pem(RSA.getPublic());
        assertThatThrownBy(() -> PemPublicKeys.parse(good + SECP256K1, "keys.pem"))
                .hasMessageContaining("public key 2 is EC on another curve than P-256");
        assertThatThrownBy(() -> PemPublicKeys.parse(good + "-----BEGIN RSA PUBLIC KEY-----\nMIIBCgKCAQEA\n-----END RSA PUBLIC KEY-----\n",
                "keys.pem")).hasMessageContaining("block 2 is RSA PUBLIC KEY, not PUBLIC KEY").hasMessageContaining("-RSAPublicKey_in");
        assertThatThrownBy(() -> PemPublicKeys.parse("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n" + good,
                "keys.pem")).hasMessageContaining("block 1 is PRIVATE KEY").hasMessageContaining("only the public key");
        assertThatThrownBy(() -> PemPublicKeys.parse(good + "-----BEGIN PUBLIC KEY-----\nMIIB\n", "keys.pem"))
                .hasMessageContaining("2 blocks begin, 1 end");
    }

    @Test
    void aKeyFileWithCommentsInAnyEncoding_isRead() throws Exception {
        Path file = directory.resolve("keys.pem");
        byte[] comment = "# clé de l'émetteur, tournée le 1er décembre\n".getBytes(StandardCharsets.UTF_8);
        byte[] bom = {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF};
        Files.write(file, concat(bom, comment, pem(EC.getPublic()).getBytes(StandardCharsets.US_ASCII)));

        assertThat(PemPublicKeys.read(file)).containsExactly(EC.getPublic());
    }

    @Test
    void aPemKeyGivenAsTheSecret_isRefused() {
        assertThatThrownBy(() -> new TokenVerifier(pem(RSA.getPublic()), List.of(), true, clock))
                .hasMessageContaining("auth.jwtPublicKeyFile");
    }

    @Test
    void aVerifierWithNoKeyAtAll_cannotBeMade() {
        assertThatThrownBy(() -> new TokenVerifier("", List.of(), true, clock)).hasMessageContaining("no token key");
    }

    /** A public key on secp256k1 (made with openssl): its field is 256 bits like P-256's. */
    private static final String SECP256K1 = """
            -----BEGIN PUBLIC KEY-----
            MFYwEAYHKoZIzj0CAQYFK4EEAAoDQgAESpm0CVA9su8zjLQw1SLUy/B16c0oN+De
            39cPk9u+KfYRm6lyKVyrKO+7+h1fNeEUptubTubrPw/eqM3A5nG4Vg==
            -----END PUBLIC KEY-----
            """;

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return all.toByteArray();
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
