package dev.switchboard.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class OriginPolicyTest {
    private static final String HOST = "127.0.0.1:8080";

    private final OriginPolicy sameOriginOnly = new OriginPolicy(List.of());

    @Test
    void allows_returnsTrue_whenNoOriginHeader() {
        assertThat(sameOriginOnly.allows(null, HOST)).isTrue();
        assertThat(sameOriginOnly.allows(null, null)).isTrue();
    }

    @Test
    void allows_returnsTrue_whenOriginEqualsHost() {
        assertThat(sameOriginOnly.allows("http://127.0.0.1:8080", HOST)).isTrue();
        assertThat(sameOriginOnly.allows("https://Chat.Example.com", "chat.example.com"))
                .as("host comparison ignores case").isTrue();
    }

    @Test
    void allows_returnsFalse_whenOriginIsForeign() {
        assertThat(sameOriginOnly.allows("https://evil.example.com", HOST)).isFalse();
        assertThat(sameOriginOnly.allows("http://127.0.0.1:9090", HOST)).as("same host, other port").isFalse();
        assertThat(sameOriginOnly.allows("https://evil.example.com", null)).as("no Host to compare with").isFalse();
        assertThat(sameOriginOnly.allows("null", HOST)).as("opaque origin").isFalse();
    }

    @Test
    void allows_returnsTrue_whenOriginIsListedIgnoringCaseAndTrailingSlash() {
        OriginPolicy policy = new OriginPolicy(List.of("https://Chat.Example.com/"));

        assertThat(policy.allows("https://chat.example.com", HOST)).isTrue();
        assertThat(policy.allows("HTTPS://CHAT.EXAMPLE.COM/", HOST)).isTrue();
        assertThat(policy.allows("https://other.example.com", HOST)).isFalse();
        assertThat(policy.allows("http://chat.example.com", HOST)).as("scheme is part of the origin").isFalse();
    }

    @Test
    void allows_returnsTrue_whenListContainsWildcard() {
        OriginPolicy policy = new OriginPolicy(List.of("*"));

        assertThat(policy.allows("https://anything.example.net", HOST)).isTrue();
        assertThat(policy.allows("https://anything.example.net", null)).isTrue();
    }
}
