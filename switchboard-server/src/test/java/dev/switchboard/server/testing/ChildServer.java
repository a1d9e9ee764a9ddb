package dev.switchboard.server.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Switchboard node in its own JVM (the real {@code Main}, same class path as the test), so a
 * test can kill it the hard way: {@link #kill()} is SIGKILL, no shutdown hook, no flush.
 */
public final class ChildServer implements AutoCloseable {
    private static final Pattern LISTENING = Pattern.compile("Switchboard listening on http://[^:]+:(\\d+)/");

    private final Process process;
    private final int port;
    private final List<String> output;

    private ChildServer(Process process, int port, List<String> output) {
        this.process = process;
        this.port = port;
        this.output = output;
    }

    /** Starts {@code Main --dev} on {@code port} (0 = any) over {@code dataDirectory}; waits until it listens. */
    public static ChildServer start(Path dataDirectory, int port, Map<String, String> environment) throws IOException {
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder builder = new ProcessBuilder(javaBinary, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "dev.switchboard.server.Main", "--dev", "--port", String.valueOf(port),
                "--data-dir", dataDirectory.toString());
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        Process process = builder.start();
        CompletableFuture<Integer> boundPort = new CompletableFuture<>();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    output.add(line);
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        boundPort.complete(Integer.parseInt(matcher.group(1)));
                    }
                }
            } catch (IOException e) {
                boundPort.completeExceptionally(e);
            }
            boundPort.completeExceptionally(new IOException("child server exited before listening: " + output));
        }, "child-server-output");
        reader.setDaemon(true);
        reader.start();
        try {
            return new ChildServer(process, boundPort.get(60, TimeUnit.SECONDS), output);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new IOException("child server did not start: " + output, e);
        }
    }

    public int port() {
        return port;
    }

    public URI webSocketUri() {
        return URI.create("ws://127.0.0.1:" + port + "/ws");
    }

    public List<String> output() {
        return List.copyOf(output);
    }

    /** SIGKILL, then waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(20, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }
}
