package dev.switchboard.server.testing;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
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
 * test can stop it the way an operator or a crash would: {@link #terminate()} is SIGTERM (graceful
 * shutdown), {@link #kill()} is SIGKILL (no shutdown hook, no flush). Every child is also killed
 * when the test JVM exits, so an aborted run leaves no node behind.
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
        return start(dataDirectory, port, environment, List.of(), null);
    }

    /**
     * As {@link #start(Path, int, Map)}, with extra JVM options (after {@code -Xmx256m}) and, when
     * {@code logFile} is not null, every output line also appended to that file (kept after the test).
     */
    public static ChildServer start(Path dataDirectory, int port, Map<String, String> environment,
                                    List<String> jvmOptions, Path logFile) throws IOException {
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(javaBinary, "-Xmx256m"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"),
                "dev.switchboard.server.Main", "--dev", "--port", String.valueOf(port), "--api-port", "-1",
                "--data-dir", dataDirectory.toString()));
        ProcessBuilder builder = new ProcessBuilder(command);
        builder.environment().putAll(environment);
        builder.redirectErrorStream(true);
        BufferedWriter log = logFile == null ? null : Files.newBufferedWriter(logFile, StandardCharsets.UTF_8,
                StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        Process process = builder.start();
        ChildProcesses.killOnExit(process);
        CompletableFuture<Integer> boundPort = new CompletableFuture<>();
        List<String> output = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = lines.readLine()) != null) {
                    output.add(line);
                    if (log != null) {
                        log.write(line);
                        log.newLine();
                        log.flush();
                    }
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        boundPort.complete(Integer.parseInt(matcher.group(1)));
                    }
                }
            } catch (IOException e) {
                boundPort.completeExceptionally(e);
            } finally {
                closeQuietly(log);
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

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM: the node's graceful shutdown starts (not ready, 1012 to every client, store flushed). Returns at once. */
    public void terminate() {
        process.destroy();
    }

    /**
     * Waits for the process to exit.
     *
     * @return its exit code
     * @throws IllegalStateException when it is still running after {@code timeout}
     */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("node pid " + process.pid() + " still running after " + timeout);
        }
        return process.exitValue();
    }

    /** SIGKILL, then waits for the process to be gone. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(30, TimeUnit.SECONDS);
    }

    private static void closeQuietly(BufferedWriter writer) {
        if (writer != null) {
            try {
                writer.close();
            } catch (IOException ignored) {
                // the log file is a convenience only
            }
        }
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
