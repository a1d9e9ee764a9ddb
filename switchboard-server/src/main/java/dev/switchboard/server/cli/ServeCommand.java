package dev.switchboard.server.cli;

import dev.switchboard.server.SwitchboardServer;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Runs a node. Flags override the config file, which overrides the defaults; env overrides the file. */
@Command(name = "switchboard", mixinStandardHelpOptions = true, version = "Switchboard 0.1.0",
        description = "Real-time messaging server: WebSocket gateway with durable 1:1 and group chat.",
        footer = {"", "Every config key can also be set as SWITCHBOARD_<SECTION>_<KEY>, e.g. SWITCHBOARD_AUTH_JWT_SECRET."})
public final class ServeCommand implements Callable<Integer> {
    private static final long WATCHDOG_MARGIN_MILLIS = 10_000;

    @Option(names = "--config", paramLabel = "FILE", description = "YAML configuration file")
    Path configFile;

    @Option(names = "--host", description = "bind address (default 127.0.0.1)")
    String host;

    @Option(names = "--port", description = "TCP port; 0 = any free port, printed at start (default 8080)")
    Integer port;

    @Option(names = "--api-port", paramLabel = "PORT", description = "server API, admin page and metrics port (default 8081; 0 = any free port; -1 = off)")
    Integer apiPort;

    @Option(names = "--data-dir", paramLabel = "DIR", description = "embedded store directory (default ./data)")
    String dataDirectory;

    @Option(names = "--dev", description = "development mode: accept ?user= without a token (never in production)")
    boolean devMode;

    @Option(names = "--echo-endpoint", description = "enable /ws/echo for WebSocket conformance testing")
    boolean echoEndpoint;

    @Option(names = "--jwt-secret", paramLabel = "SECRET", description = "HS256 secret (prefer SWITCHBOARD_AUTH_JWT_SECRET)")
    String jwtSecret;

    @Option(names = "--jwt-public-key-file", paramLabel = "FILE",
            description = "PEM public keys that check RS256 (RSA) and ES256 (EC P-256) tokens")
    String jwtPublicKeyFile;

    @Option(names = "--log-format", paramLabel = "text|json", description = "log format (default text)")
    String logFormat;

    @Override
    public Integer call() throws Exception {
        LogFormat.apply(logFormat);
        Map<String, Object> overrides = new LinkedHashMap<>();
        putIfSet(overrides, "server.host", host);
        putIfSet(overrides, "server.port", port);
        putIfSet(overrides, "server.dataDirectory", dataDirectory);
        putIfSet(overrides, "api.port", apiPort);
        putIfSet(overrides, "auth.jwtSecret", jwtSecret);
        putIfSet(overrides, "auth.jwtPublicKeyFile", jwtPublicKeyFile);
        if (devMode) {
            overrides.put("auth.devMode", true);
        }
        if (echoEndpoint) {
            overrides.put("server.echoEndpoint", true);
        }
        ConfigLoader loader = new ConfigLoader();
        ServerConfig config = loader.load(configFile, System.getenv(), overrides);
        // Not a static field: that would start logback, with the text format, when the class loads (the
        // command line is parsed into this object), before LogFormat.apply above could choose JSON.
        Logger log = LoggerFactory.getLogger(ServeCommand.class);
        for (String name : loader.unknownEnvironmentNames(System.getenv())) {
            log.atWarn().setMessage("environment variable names no setting and is ignored (misspelt?)")
                    .addKeyValue("name", name).log();
        }
        SwitchboardServer server = new SwitchboardServer(config);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            startShutdownWatchdog(config.shutdown().deadlineMillis() + WATCHDOG_MARGIN_MILLIS
                    + (config.webhooks().isEnabled() ? config.webhooks().timeoutMillis() : 0));
            server.close();
            LogFormat.flush(); // logs go through an asynchronous queue: write out what is left
        }, "shutdown"));
        int boundPort = server.start();
        LogFormat.announce("Switchboard listening on http://" + config.server().host() + ":" + boundPort + "/");
        if (server.apiPort() >= 0) {
            LogFormat.announce("Switchboard API listening on http://" + config.api().host() + ":" + server.apiPort()
                    + "/ (admin page: /admin, metrics: /metrics)");
        }
        System.out.flush();
        return 0;
    }

    /**
     * Graceful shutdown is bounded by {@code shutdown.deadlineMillis} for the connections; the store
     * flush and the rest get a margin on top, and the webhooks their {@code timeoutMillis} to send what
     * is queued. Past that the process halts rather than hang a rolling restart.
     */
    private static void startShutdownWatchdog(long limitMillis) {
        ScheduledExecutorService watchdog = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "shutdown-watchdog");
            thread.setDaemon(true);
            return thread;
        });
        watchdog.schedule(() -> Runtime.getRuntime().halt(1), limitMillis, TimeUnit.MILLISECONDS);
    }

    private static void putIfSet(Map<String, Object> overrides, String key, Object value) {
        if (value != null) {
            overrides.put(key, value);
        }
    }
}
