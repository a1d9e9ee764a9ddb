package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class ClientConfigTest {
    private static final URI SERVER = URI.create("ws://localhost:8080/ws");

    @Test
    void build_usesDocumentedDefaults_whenNothingIsSet() {
        ClientConfig config = ClientConfig.builder(SERVER).build();

        assertThat(config.serverUri()).isEqualTo(SERVER);
        assertThat(config.tokenProvider()).isNull();
        assertThat(config.devUser()).isNull();
        assertThat(config.deviceId()).isNull();
        assertThat(config.initialAfterSeq()).isNull();
        assertThat(config.backoffBase()).isEqualTo(Duration.ofSeconds(1));
        assertThat(config.backoffMax()).isEqualTo(Duration.ofSeconds(30));
        assertThat(config.pingInterval()).isEqualTo(Duration.ofSeconds(25));
        assertThat(config.pingTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(config.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(config.ackDelay()).isEqualTo(Duration.ofMillis(200));
        assertThat(config.ackBatch()).isEqualTo(64);
        assertThat(config.maxPendingSends()).isEqualTo(10_000);
        assertThat(config.origin()).isNull();
        assertThat(config.eventLoopGroup()).isNull();
    }

    @Test
    void build_keepsEverySetValue_whenAllAreSet() {
        ClientConfig config = ClientConfig.builder(SERVER)
                .tokenProvider(() -> "jwt")
                .devUser("alice")
                .deviceId("phone")
                .initialAfterSeq(7L)
                .backoffBase(Duration.ofMillis(10))
                .backoffMax(Duration.ofMillis(50))
                .pingInterval(Duration.ofSeconds(1))
                .pingTimeout(Duration.ofSeconds(3))
                .connectTimeout(Duration.ofSeconds(2))
                .ackDelay(Duration.ZERO)
                .ackBatch(1)
                .maxPendingSends(5)
                .origin("https://chat.example")
                .build();

        assertThat(config.tokenProvider().get()).isEqualTo("jwt");
        assertThat(config.devUser()).isEqualTo("alice");
        assertThat(config.deviceId()).isEqualTo("phone");
        assertThat(config.initialAfterSeq()).isEqualTo(7L);
        assertThat(config.backoffBase()).isEqualTo(Duration.ofMillis(10));
        assertThat(config.backoffMax()).isEqualTo(Duration.ofMillis(50));
        assertThat(config.ackDelay()).isZero();
        assertThat(config.ackBatch()).isEqualTo(1);
        assertThat(config.maxPendingSends()).isEqualTo(5);
        assertThat(config.origin()).isEqualTo("https://chat.example");
    }

    @Test
    void build_throws_whenSchemeIsNotWebSocket() {
        assertThatThrownBy(() -> ClientConfig.builder(URI.create("http://localhost/ws")).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void build_throws_whenDeviceIdHasUnsafeCharacters() {
        assertThatThrownBy(() -> ClientConfig.builder(SERVER).deviceId("my phone").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void build_throws_whenBackoffMaxIsBelowBase() {
        assertThatThrownBy(() -> ClientConfig.builder(SERVER)
                .backoffBase(Duration.ofSeconds(5)).backoffMax(Duration.ofSeconds(1)).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void build_throws_whenInitialAfterSeqIsNegative() {
        assertThatThrownBy(() -> ClientConfig.builder(SERVER).initialAfterSeq(-1L).build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void build_throws_whenPingIntervalIsZero() {
        assertThatThrownBy(() -> ClientConfig.builder(SERVER).pingInterval(Duration.ZERO).build())
                .isInstanceOf(IllegalArgumentException.class);
    }
}
