package dev.switchboard.server.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A real nginx in front of test nodes, configured from the same template as production
 * ({@code deploy/nginx.conf}, rendered by {@code deploy/local-cluster.sh nginx-config}), on a free port,
 * in its own prefix directory, in the foreground as a child of the test JVM. Needs nginx installed:
 * missing, the test is skipped loudly (failed under {@code CI=true}).
 */
public final class NginxProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Process process;
    private final int port;
    private final Path prefix;

    private NginxProcess(Process process, int port, Path prefix) {
        this.process = process;
        this.port = port;
        this.prefix = prefix;
    }

    /** Checks that nginx is installed (skip or fail as described above). */
    public static Path requireInstalled() {
        return ChildProcesses.requireBinary("nginx", "apt-get install nginx");
    }

    /** Renders the template for {@code nodePorts} on 127.0.0.1 into {@code prefix} and starts nginx; waits until it answers. */
    public static NginxProcess start(Path prefix, List<Integer> nodePorts) throws IOException, InterruptedException {
        Path nginx = requireInstalled();
        Files.createDirectories(prefix);
        IOException lastFailure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = ChildProcesses.freePort();
            Path config = prefix.resolve("nginx.conf");
            Files.writeString(config, render(port, nodePorts), StandardCharsets.UTF_8);
            Process process = new ProcessBuilder(nginx.toString(), "-p", prefix.toString(), "-c", config.toString(),
                    "-e", prefix.resolve("error.log").toString(), "-g", "daemon off;")
                    .redirectErrorStream(true)
                    .redirectOutput(prefix.resolve("nginx.out").toFile())
                    .start();
            ChildProcesses.killOnExit(process);
            NginxProcess started = new NginxProcess(process, port, prefix);
            try {
                await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(100))
                        .until(() -> !process.isAlive() || started.answers());
            } catch (ConditionTimeoutException e) {
                started.close();
                throw new IOException("nginx did not answer on port " + port + " within " + START_TIMEOUT + ": " + started.errorLog());
            }
            if (process.isAlive()) {
                return started;
            }
            lastFailure = new IOException("nginx exited with " + process.exitValue() + ": " + started.errorLog());
        }
        throw lastFailure;
    }

    /** deploy/nginx.conf for nginx on 127.0.0.1:{@code port} and the nodes, rendered by the deploy script. */
    static String render(int port, List<Integer> nodePorts) throws IOException, InterruptedException {
        Path root = ChildProcesses.repositoryRoot();
        List<String> command = new ArrayList<>(List.of("bash", root.resolve("deploy/local-cluster.sh").toString(),
                "nginx-config", "127.0.0.1:" + port));
        nodePorts.forEach(nodePort -> command.add("127.0.0.1:" + nodePort));
        Process render = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String config = new String(render.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!render.waitFor(10, TimeUnit.SECONDS) || render.exitValue() != 0
                || config.lines().anyMatch(line -> !line.strip().startsWith("#") && line.contains("@@"))) {
            throw new IOException("rendering deploy/nginx.conf failed: " + command + "\n" + config);
        }
        return config;
    }

    private boolean answers() {
        try {
            return RawWebSocket.httpGet(port, "/health").status() == 200;
        } catch (IOException e) {
            return false;
        }
    }

    public int port() {
        return port;
    }

    /** ws://127.0.0.1:port/ws — the balanced WebSocket endpoint. */
    public URI webSocketUri() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    public Path prefix() {
        return prefix;
    }

    /** The error log's content (empty if none). */
    public String errorLog() {
        try {
            Path log = prefix.resolve("error.log");
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** SIGTERM (nginx's fast shutdown), then SIGKILL to the master and its workers if it lingers. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    ChildProcesses.destroyTree(process);
                }
            } catch (InterruptedException e) {
                ChildProcesses.destroyTree(process);
                Thread.currentThread().interrupt();
            }
        }
    }
}
