package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.interfaces.ECPrivateKey;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Handshakes with RS256 and ES256 tokens against a real server (SPEC R2), whose signatures are checked
 * on the token-check threads while the event loop goes on: the answers are those of an HS256 token.
 */
class PublicKeyHandshakeTest {
    @TempDir
    static Path directory;
    static TestServer server;
    static KeyPair rsa;
    static KeyPair ec;

    @BeforeAll
    static void startServer() throws Exception {
        KeyPairGenerator rsaGenerator = KeyPairGenerator.getInstance("RSA");
        rsaGenerator.initialize(2048);
        rsa = rsaGenerator.generateKeyPair();
        KeyPairGenerator ecGenerator = KeyPairGenerator.getInstance("EC");
        ecGenerator.initialize(new ECGenParameterSpec("secp256r1"));
        ec = ecGenerator.generateKeyPair();
        Path keys = directory.resolve("token-keys.pem");
        Files.writeString(keys, pem(rsa.getPublic()) + pem(ec.getPublic()));
        server = TestServer.start(directory.resolve("data"), Map.of("auth.jwtPublicKeyFile", keys.toString()));
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void rs256AndEs256Tokens_areWelcomed() throws Exception {
        String rs256 = token("alice", JWSAlgorithm.RS256, new RSASSASigner(rsa.getPrivate()));
        String es256 = token("bob", JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()));

        for (Map.Entry<String, String> user : Map.of("alice", rs256, "bob", es256).entrySet()) {
            try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?device=phone&token=" + user.getValue())) {
                assertThat(socket.handshake().status()).as(user.getKey()).isEqualTo(101);
                JsonNode welcome = socket.receiveType("welcome");
                assertThat(welcome.get("userId").asText()).isEqualTo(user.getKey());
            }
        }
    }

    @Test
    void aTokenOfAnotherKey_gets401() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        String forged = token("alice", JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) generator.generateKeyPair().getPrivate()));

        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?device=phone&token=" + forged)) {
            assertThat(socket.handshake().status()).isEqualTo(401);
            assertThat(socket.handshake().body()).contains("bad token signature");
        }
    }

    @Test
    void aRequestPipelinedBehindTheUpgradeRequest_closesWithoutA101_whileTheSignatureIsChecked() throws Exception {
        String es256 = token("carol", JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()));
        String both = upgradeRequest(es256) + "GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.setSoTimeout(10_000);

            socket.getOutputStream().write(both.getBytes(StandardCharsets.US_ASCII)); // one write: read before the check ends

            assertThat(socket.getInputStream().readAllBytes()).as("closed with nothing sent").isEmpty();
        }
        String again = token("carol", JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()));
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?device=phone&token=" + again)) {
            assertThat(socket.handshake().status()).as("the node goes on").isEqualTo(101);
        }
    }

    @Test
    void aClientThatLeavesDuringTheCheck_isCountedAbandonedOnce_andTheNodeGoesOn() throws Exception {
        double abandonedBefore = handshakes("abandoned");
        String es256 = token("dora", JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()));
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
            socket.getOutputStream().write(upgradeRequest(es256).getBytes(StandardCharsets.US_ASCII));
        } // closed at once: the server reads the request and the end of the connection together

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(handshakes("abandoned")).isEqualTo(abandonedBefore + 1));
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?device=phone&token=" + es256)) {
            assertThat(socket.handshake().status()).isEqualTo(101);
        }
        assertThat(handshakes("abandoned")).as("counted once").isEqualTo(abandonedBefore + 1);
    }

    /** {@code switchboard_handshakes_total} for one rejection reason, from the node's metrics (0 before its first). */
    private static double handshakes(String reason) {
        double value = ApiClient.of(server).get("/metrics")
                .sample("switchboard_handshakes_total{reason=\"" + reason + "\",result=\"rejected\"}");
        return Double.isNaN(value) ? 0 : value;
    }

    private static String upgradeRequest(String token) {
        return "GET /ws?device=phone&token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n";
    }

    private static String token(String user, JWSAlgorithm algorithm, JWSSigner signer) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user)
                .expirationTime(Date.from(Instant.now().plusSeconds(300))).build();
        SignedJWT jwt = new SignedJWT(new JWSHeader(algorithm), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    private static String pem(PublicKey key) {
        return "-----BEGIN PUBLIC KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(key.getEncoded())
                + "\n-----END PUBLIC KEY-----\n";
    }
}
