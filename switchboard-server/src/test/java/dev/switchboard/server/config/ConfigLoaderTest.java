package dev.switchboard.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigLoaderTest {
    private static final String SECRET = "0123456789abcdef0123456789abcdef";

    private final ConfigLoader loader = new ConfigLoader();

    @TempDir
    Path directory;

    @Test
    void load_returnsDocumentedDefaults_whenNothingIsOverridden() {
        ServerConfig config = loader.load(null, Map.of(), Map.of());

        assertThat(config.server().host()).isEqualTo("127.0.0.1");
        assertThat(config.server().port()).isEqualTo(8080);
        assertThat(config.server().allowedOrigins()).isEmpty();
        assertThat(config.server().maxConnections()).isEqualTo(18000);
        assertThat(config.heartbeat().pingIntervalMillis()).isEqualTo(30000);
        assertThat(config.heartbeat().pingTimeoutMillis()).isEqualTo(90000);
        assertThat(config.auth().devMode()).isFalse();
        assertThat(config.auth().jwtSecret()).isEmpty();
        assertThat(config.auth().requireExpiry()).isTrue();
        assertThat(config.limits().maxMessageBytes()).isEqualTo(65536);
        assertThat(config.limits().sendsPerSecond()).isEqualTo(100);
        assertThat(config.limits().sendBurst()).isEqualTo(200);
        assertThat(config.limits().userSendsPerSecond()).isEqualTo(200);
        assertThat(config.limits().userSendBurst()).isEqualTo(400);
        assertThat(config.reconnect().isAdvertised()).isFalse();
        assertThat(config.store().url()).isEmpty();
        assertThat(config.store().synchronous()).isEqualTo("FULL");
        assertThat(config.retention().maxAgeHours()).isZero();
    }

    @Test
    void load_overridesOnlyThatKey_whenFileSetsNestedKey() throws IOException {
        Path file = write("""
                heartbeat:
                  pingIntervalMillis: 5000
                """);

        ServerConfig config = loader.load(file, Map.of(), Map.of());

        assertThat(config.heartbeat().pingIntervalMillis()).isEqualTo(5000);
        assertThat(config.heartbeat().pingTimeoutMillis())
                .as("sibling key not in the file keeps its default").isEqualTo(90000);
        assertThat(config.server().port()).isEqualTo(8080);
    }

    @Test
    void load_readsListsAndBooleans_whenFileSetsThem() throws IOException {
        Path file = write("""
                server:
                  allowedOrigins: ["https://chat.example.com"]
                auth:
                  devMode: true
                """);

        ServerConfig config = loader.load(file, Map.of(), Map.of());

        assertThat(config.server().allowedOrigins()).containsExactly("https://chat.example.com");
        assertThat(config.auth().devMode()).isTrue();
    }

    @Test
    void load_returnsDefaults_whenFileIsEmpty() throws IOException {
        Path file = write("");

        ServerConfig config = loader.load(file, Map.of(), Map.of());

        assertThat(config.server().port()).isEqualTo(8080);
    }

    @Test
    void load_failsNamingTheKey_whenFileHasUnknownNestedKey() throws IOException {
        Path file = write("""
                server:
                  prot: 9000
                """);

        assertThatThrownBy(() -> loader.load(file, Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server.prot");
    }

    @Test
    void load_failsNamingTheKey_whenFileHasUnknownSection() throws IOException {
        Path file = write("""
                srever:
                  port: 9000
                """);

        assertThatThrownBy(() -> loader.load(file, Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("srever");
    }

    @Test
    void load_fails_whenFileIsNotAMapping() throws IOException {
        Path file = write("- just\n- a list\n");

        assertThatThrownBy(() -> loader.load(file, Map.of(), Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void load_appliesEnvironment_whenSwitchboardVariablesAreSet() {
        Map<String, String> environment = Map.of(
                "SWITCHBOARD_SERVER_PORT", "9001",
                "SWITCHBOARD_AUTH_JWT_SECRET", SECRET,
                "SWITCHBOARD_SERVER_ALLOWED_ORIGINS", "https://a.example.com, https://b.example.com,",
                "SWITCHBOARD_AUTH_DEV_MODE", "true",
                "PATH", "/usr/bin");

        ServerConfig config = loader.load(null, environment, Map.of());

        assertThat(config.server().port()).isEqualTo(9001);
        assertThat(config.auth().jwtSecret()).isEqualTo(SECRET);
        assertThat(config.server().allowedOrigins())
                .as("comma list, trimmed, blank items dropped")
                .containsExactly("https://a.example.com", "https://b.example.com");
        assertThat(config.auth().devMode()).isTrue();
    }

    @Test
    void load_prefersEnvironment_whenFileAndEnvironmentSetSameKey() throws IOException {
        Path file = write("""
                server:
                  port: 9000
                  host: 0.0.0.0
                """);

        ServerConfig config = loader.load(file, Map.of("SWITCHBOARD_SERVER_PORT", "9001"), Map.of());

        assertThat(config.server().port()).isEqualTo(9001);
        assertThat(config.server().host()).as("file value not overridden by the environment").isEqualTo("0.0.0.0");
    }

    @Test
    void load_prefersOverrides_whenEnvironmentAndOverridesSetSameKey() {
        ServerConfig config = loader.load(null,
                Map.of("SWITCHBOARD_SERVER_PORT", "9001", "SWITCHBOARD_AUTH_JWT_SECRET", SECRET),
                Map.of("server.port", 9002, "auth.devMode", true));

        assertThat(config.server().port()).isEqualTo(9002);
        assertThat(config.auth().devMode()).isTrue();
        assertThat(config.auth().jwtSecret()).as("environment still applies to other keys").isEqualTo(SECRET);
    }

    @Test
    void load_failsNamingTheKey_whenOverrideKeyIsUnknown() {
        assertThatThrownBy(() -> loader.load(null, Map.of(), Map.of("server.prot", 1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("server.prot");
    }

    @Test
    void load_fails_whenEnvironmentValueHasWrongType() {
        assertThatThrownBy(() -> loader.load(null, Map.of("SWITCHBOARD_SERVER_PORT", "eighty"), Map.of()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("invalid configuration");
    }

    @Test
    void load_failsNamingTheKeys_whenTheUserSendLimitIsNegative_orOnWithoutABurst() {
        assertThatThrownBy(() -> loader.load(null, Map.of(), Map.of("limits.userSendsPerSecond", -1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limits.userSendsPerSecond");
        assertThatThrownBy(() -> loader.load(null, Map.of(), Map.of("limits.userSendBurst", 0)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("limits.userSendBurst");
        assertThat(loader.load(null, Map.of(), Map.of("limits.userSendsPerSecond", 0, "limits.userSendBurst", 0))
                .limits().userSendsPerSecond()).as("0 turns the limit off; its burst is then unused").isZero();
    }

    @Test
    void load_failsNamingTheKeys_whenTheReconnectBackoffIsOutOfRange() {
        for (Map<String, Object> bad : List.<Map<String, Object>>of(
                Map.of("reconnect.baseMillis", 1_000), // no cap
                Map.of("reconnect.maxMillis", 1_000), // no base
                Map.of("reconnect.baseMillis", 5_000, "reconnect.maxMillis", 1_000),
                Map.of("reconnect.baseMillis", -1, "reconnect.maxMillis", 1_000),
                Map.of("reconnect.baseMillis", 1_000, "reconnect.maxMillis", 3_600_001))) {
            assertThatThrownBy(() -> loader.load(null, Map.of(), bad)).as("%s", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("reconnect.baseMillis");
        }
        ServerConfig.Reconnect advertised = loader.load(null, Map.of(),
                Map.of("reconnect.baseMillis", 2_000, "reconnect.maxMillis", 120_000)).reconnect();
        assertThat(advertised.isAdvertised()).isTrue();
        assertThat(advertised.maxMillis()).isEqualTo(120_000);
    }

    @Test
    void webhooks_areOffByDefault_andReadFromTheEnvironment_withTheirEventList() {
        ServerConfig.Webhooks defaults = loader.load(null, Map.of(), Map.of()).webhooks();
        assertThat(defaults.isEnabled()).isFalse();
        assertThat(defaults.sends("message")).as("nothing is sent without a url").isFalse();
        assertThat(defaults.events()).containsExactly("connect", "disconnect", "message");

        ServerConfig.Webhooks configured = loader.load(null, Map.of(
                "SWITCHBOARD_WEBHOOKS_URL", "https://backend.example/hooks",
                "SWITCHBOARD_WEBHOOKS_SECRET", "0123456789abcdef0123456789abcdef",
                "SWITCHBOARD_WEBHOOKS_EVENTS", "connect, disconnect"), Map.of()).webhooks();
        assertThat(configured.isEnabled()).isTrue();
        assertThat(configured.sends("connect")).isTrue();
        assertThat(configured.sends("message")).isFalse();
        assertThat(configured.queueCapacity()).isEqualTo(10_000);
        assertThat(configured.maxBatch()).isEqualTo(100);
        assertThat(configured.timeoutMillis()).isEqualTo(5_000);
        assertThat(configured.maxAttempts()).isEqualTo(5);
    }

    @Test
    void load_failsNamingTheKey_whenAWebhookSettingIsWrong() {
        String secret = "0123456789abcdef0123456789abcdef";
        Map<Map<String, Object>, String> bad = Map.of(
                Map.of("webhooks.url", "ftp://backend.example/hooks", "webhooks.secret", secret), "webhooks.url",
                Map.of("webhooks.url", "backend.example/hooks", "webhooks.secret", secret), "webhooks.url",
                Map.of("webhooks.url", "http://backend.example/hooks"), "webhooks.secret",
                Map.of("webhooks.url", "http://backend.example/hooks", "webhooks.secret", "short"), "webhooks.secret",
                Map.of("webhooks.events", List.of("connect", "typing")), "webhooks.events",
                Map.of("webhooks.events", List.of()), "webhooks.events",
                Map.of("webhooks.queueCapacity", 0), "webhooks.queueCapacity",
                Map.of("webhooks.maxBatch", 1001), "webhooks.maxBatch",
                Map.of("webhooks.timeoutMillis", 10), "webhooks.timeoutMillis",
                Map.of("webhooks.maxAttempts", 0), "webhooks.maxAttempts");
        bad.forEach((overrides, key) -> assertThatThrownBy(() -> loader.load(null, Map.of(), overrides)).as("%s", overrides)
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(key));
    }

    @Test
    void advertisedSendLimit_isTheConnections_unlessTheUsersIsLower() {
        ServerConfig.Limits defaults = loader.load(null, Map.of(), Map.of()).limits();
        assertThat(defaults.advertisedSendsPerSecond()).isEqualTo(100);
        assertThat(defaults.advertisedSendBurst()).isEqualTo(200);

        ServerConfig.Limits lowerUser = loader.load(null, Map.of(), Map.of(
                "limits.userSendsPerSecond", 30, "limits.userSendBurst", 50)).limits();
        assertThat(lowerUser.advertisedSendsPerSecond()).isEqualTo(30);
        assertThat(lowerUser.advertisedSendBurst()).isEqualTo(50);

        ServerConfig.Limits userOff = loader.load(null, Map.of(), Map.of(
                "limits.sendsPerSecond", 5_000, "limits.sendBurst", 9_000, "limits.userSendsPerSecond", 0)).limits();
        assertThat(userOff.advertisedSendsPerSecond()).isEqualTo(5_000);
        assertThat(userOff.advertisedSendBurst()).isEqualTo(9_000);
    }

    @Test
    void environmentName_returnsUpperSnakeCaseWithPrefix_whenKeyIsCamelCase() {
        assertThat(ConfigLoader.environmentName("auth.jwtSecret")).isEqualTo("SWITCHBOARD_AUTH_JWT_SECRET");
        assertThat(ConfigLoader.environmentName("server.port")).isEqualTo("SWITCHBOARD_SERVER_PORT");
        assertThat(ConfigLoader.environmentName("server.allowedOrigins")).isEqualTo("SWITCHBOARD_SERVER_ALLOWED_ORIGINS");
        assertThat(ConfigLoader.environmentName("limits.maxMessageBytes")).isEqualTo("SWITCHBOARD_LIMITS_MAX_MESSAGE_BYTES");
    }

    private Path write(String yaml) throws IOException {
        return Files.writeString(directory.resolve("switchboard.yml"), yaml);
    }

    @Test
    void unknownEnvironmentNames_listsPrefixedNamesThatNameNoSetting() {
        Map<String, String> environment = Map.of(
                "SWITCHBOARD_SERVER_IO_THREADS", "2", // a setting
                "SWITCHBOARD_SERVER_IOTHREADS", "2", // misspelt
                "SWITCHBOARD_STORE_MAXBATCH", "9", // misspelt
                "SWITCHBOARD_LOG_LEVEL", "DEBUG", // read by the logging setup
                "PATH", "/usr/bin");

        assertThat(new ConfigLoader().unknownEnvironmentNames(environment))
                .containsExactly("SWITCHBOARD_SERVER_IOTHREADS", "SWITCHBOARD_STORE_MAXBATCH");
    }
}
