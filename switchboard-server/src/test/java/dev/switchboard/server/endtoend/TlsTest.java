package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.server.testing.TestServer;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * R1's {@code wss://} with a configured certificate: a self-signed one for localhost and 127.0.0.1 in
 * the test resources (an EC P-256 key, valid until 2126; made with {@code openssl req -x509}). A client
 * that trusts it is welcomed over TLS; one that speaks plain HTTP gets no HTTP answer.
 */
class TlsTest {
    @TempDir
    static Path dataDirectory;
    static TestServer server;
    static SSLContext trustingTheCertificate;

    @BeforeAll
    static void startServer() throws Exception {
        Path certificate = resource("tls/localhost-cert.pem");
        server = TestServer.start(dataDirectory, Map.of(
                "server.tlsCertificate", certificate.toString(),
                "server.tlsPrivateKey", resource("tls/localhost-key.pem").toString()));
        trustingTheCertificate = trusting(certificate);
    }

    @AfterAll
    static void stopServer() {
        server.close();
    }

    @Test
    void aClientTrustingTheCertificate_isWelcomedOverWss_andHealthAnswersOverHttps() throws Exception {
        HttpClient client = HttpClient.newBuilder().sslContext(trustingTheCertificate).build();

        HttpResponse<String> live = client.send(HttpRequest.newBuilder(
                URI.create("https://127.0.0.1:" + server.port() + "/health/live")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);

        CompletableFuture<String> first = new CompletableFuture<>();
        WebSocket socket = client.newWebSocketBuilder().buildAsync(
                URI.create("wss://127.0.0.1:" + server.port() + "/ws?user=tess&device=laptop"), new WebSocket.Listener() {
                    @Override
                    public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
                        first.complete(data.toString());
                        return null;
                    }
                }).get(10, TimeUnit.SECONDS);
        try {
            assertThat(first.get(10, TimeUnit.SECONDS)).contains("\"type\":\"welcome\"").contains("\"userId\":\"tess\"");
        } finally {
            socket.abort();
        }
    }

    @Test
    void aPlainHttpRequest_getsNoHttpAnswer() throws Exception {
        try (Socket plain = new Socket("127.0.0.1", server.port())) {
            plain.setSoTimeout(10_000);
            plain.getOutputStream().write("GET /health/live HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

            InputStream in = plain.getInputStream();
            byte[] answer = in.readNBytes(5); // until the server closes: a TLS alert at most
            assertThat(new String(answer, StandardCharsets.US_ASCII)).doesNotStartWith("HTTP");
        }
    }

    private static Path resource(String name) throws Exception {
        return Path.of(TlsTest.class.getClassLoader().getResource(name).toURI());
    }

    private static SSLContext trusting(Path certificateFile) throws Exception {
        X509Certificate certificate;
        try (InputStream in = java.nio.file.Files.newInputStream(certificateFile)) {
            certificate = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in);
        }
        KeyStore trusted = KeyStore.getInstance(KeyStore.getDefaultType());
        trusted.load(null, null);
        trusted.setCertificateEntry("localhost", certificate);
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(trusted);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, trust.getTrustManagers(), null);
        return context;
    }
}
