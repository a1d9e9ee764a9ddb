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
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
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

    /**
     * More ES256 handshakes at once than the token-check threads can have waiting (1,024): the rest are
     * answered 503 {@code unavailable} at once, counted as {@code token_checks_busy}, and the node goes
     * on. An ES256 check takes 1.4–2 ms on JDK 17 here (docs/OPERATIONS.md), so the one token-check
     * thread of a 2-core machine finishes a few hundred while the requests arrive.
     */
    @Test
    void aFloodOfEs256Handshakes_pastTheWaitingChecks_gets503_andTheNodeGoesOn() throws Exception {
        int count = 3_000;
        String es256 = token("flood", JWSAlgorithm.ES256, new ECDSASigner((ECPrivateKey) ec.getPrivate()));
        double busyBefore = handshakes("token_checks_busy");
        List<Socket> sockets = new ArrayList<>();
        int busy = 0;
        int upgraded = 0;
        try {
            for (int i = 0; i < count; i++) { // every request is out before any answer is read
                Socket socket = new Socket("127.0.0.1", server.port());
                sockets.add(socket);
                socket.setSoTimeout(60_000);
                socket.getOutputStream().write(upgradeRequest(es256, "d" + i).getBytes(StandardCharsets.US_ASCII));
            }
            for (Socket socket : sockets) {
                String head = responseHead(socket.getInputStream());
                if (head.startsWith("HTTP/1.1 503 ")) {
                    busy++;
                    int length = Integer.parseInt(head.replaceAll("(?is).*\r\ncontent-length: *(\\d+).*", "$1"));
                    String body = new String(socket.getInputStream().readNBytes(length), StandardCharsets.UTF_8);
                    assertThat(body).contains("\"unavailable\"").contains("token checks are busy");
                } else {
                    assertThat(head).startsWith("HTTP/1.1 101 ");
                    upgraded++;
                }
            }
        } finally {
            for (Socket socket : sockets) {
                socket.close();
            }
        }
        assertThat(busy).as("refused while 1,024 checks waited").isPositive();
        assertThat(upgraded).as("welcomed").isGreaterThanOrEqualTo(1_024);
        double refused = busy;
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(handshakes("token_checks_busy")).isEqualTo(busyBefore + refused));
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?device=after&token=" + es256)) {
            assertThat(socket.handshake().status()).as("the node goes on").isEqualTo(101);
        }
    }

    /** An HTTP response's status line and headers, up to the blank line. */
    private static String responseHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (head.length() < 4 || !head.substring(head.length() - 4).equals("\r\n\r\n")) {
            int next = in.read();
            if (next < 0) {
                throw new EOFException("connection closed after: " + head);
            }
            head.append((char) next);
        }
        return head.toString();
    }

    /** {@code switchboard_handshakes_total} for one rejection reason, from the node's metrics (0 before its first). */
    private static double handshakes(String reason) {
        double value = ApiClient.of(server).get("/metrics")
                .sample("switchboard_handshakes_total{reason=\"" + reason + "\",result=\"rejected\"}");
        return Double.isNaN(value) ? 0 : value;
    }

    private static String upgradeRequest(String token) {
        return upgradeRequest(token, "phone");
    }

    private static String upgradeRequest(String token, String device) {
        return "GET /ws?device=" + device + "&token=" + token + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
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
