package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class ConnectorTest {
    private static final URI SERVER = URI.create("ws://localhost:8080/ws");

    @Test
    void handshakeUri_carriesEncodedTokenAndDevice_whenTokenGiven() {
        URI uri = Connector.handshakeUri(SERVER, "a.b+c/d=", "ignored", "phone");

        assertThat(uri.toString()).isEqualTo("ws://localhost:8080/ws?token=a.b%2Bc%2Fd%3D&device=phone");
    }

    @Test
    void handshakeUri_carriesUser_whenNoToken() {
        URI uri = Connector.handshakeUri(SERVER, null, "alice", null);

        assertThat(uri.toString()).isEqualTo("ws://localhost:8080/ws?user=alice");
    }

    @Test
    void handshakeUri_keepsExistingQuery_whenServerUriHasOne() {
        URI uri = Connector.handshakeUri(URI.create("wss://chat.example/ws?tenant=a"), null, null, "web");

        assertThat(uri.toString()).isEqualTo("wss://chat.example/ws?tenant=a&device=web");
    }

    @Test
    void handshakeUri_usesRootPath_whenServerUriHasNone() {
        URI uri = Connector.handshakeUri(URI.create("ws://localhost:9000"), null, null, null);

        assertThat(uri.toString()).isEqualTo("ws://localhost:9000/");
    }
}
