package dev.switchboard.server.testing;

import static org.awaitility.Awaitility.await;

import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.awaitility.core.ConditionTimeoutException;

/**
 * A private redis-server for one test: its own free port and directory, nothing persisted
 * ({@code --save "" --appendonly no}), so a test can shut it down and start it again without
 * disturbing the shared Redis on 6379. Needs redis-server installed (skip loudly, or fail under
 * {@code CI=true}).
 */
public final class RedisProcess implements AutoCloseable {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(15);

    private final Path binary;
    private final Path directory;
    private final int port;
    /** What makes this a replica or a Sentinel. */
    private final Launch role;
    private Process process;

    private RedisProcess(Path binary, Path directory, int port, Launch role) {
        this.binary = binary;
        this.directory = directory;
        this.port = port;
        this.role = role;
    }

    /** Starts redis-server on a free port with {@code directory} as its working directory; waits for PING. */
    public static RedisProcess start(Path directory) throws IOException {
        return start(directory, port -> new Launch(List.of(), List.of()));
    }

    /** Starts a redis-server that replicates the one on {@code masterPort}. */
    public static RedisProcess startReplica(Path directory, int masterPort) throws IOException {
        return start(directory, port -> new Launch(List.of(), List.of("--replicaof", "127.0.0.1", String.valueOf(masterPort))));
    }

    /**
     * Starts a Redis Sentinel ({@code redis-server CONFIG --sentinel}) that watches the master on
     * {@code masterPort} as {@code masterName}, alone (quorum 1), calling it down after 5 s of silence
     * (the tests force their failovers). Sentinel rewrites its configuration file, which is written to {@code directory}.
     */
    public static RedisProcess startSentinel(Path directory, String masterName, int masterPort) throws IOException {
        Files.createDirectories(directory);
        return start(directory, port -> {
            Path config = directory.resolve("sentinel-" + port + ".conf");
            Files.writeString(config, String.join("\n",
                    "sentinel monitor " + masterName + " 127.0.0.1 " + masterPort + " 1",
                    "sentinel down-after-milliseconds " + masterName + " 5000", // no failover of its own on a busy machine
                    "sentinel failover-timeout " + masterName + " 10000",
                    "sentinel parallel-syncs " + masterName + " 1", ""));
            return new Launch(List.of(config.toString()), List.of("--sentinel"));
        });
    }

    /**
     * Starts a redis-server as a node of a Redis Cluster ({@code cluster-enabled}), not yet part of one
     * ({@link RedisClusterProcesses} joins them): its cluster bus on a second free port, its state file
     * in {@code directory}, another node called failing after 2 s of silence.
     */
    public static RedisProcess startClusterNode(Path directory) throws IOException {
        return start(directory, port -> new Launch(List.of(), List.of("--cluster-enabled", "yes",
                "--cluster-port", String.valueOf(ChildProcesses.freePort()),
                "--cluster-config-file", "nodes-" + port + ".conf",
                "--cluster-node-timeout", "2000")));
    }

    /** A role's arguments: before the common ones (a configuration file) and after them. */
    private record Launch(List<String> first, List<String> last) {
    }

    /** The arguments of one role, given the port it will listen on. */
    private interface Role {
        Launch arguments(int port) throws IOException;
    }

    private static RedisProcess start(Path directory, Role role) throws IOException {
        Path binary = ChildProcesses.requireBinary("redis-server", "apt-get install redis-server");
        Files.createDirectories(directory);
        IOException lastFailure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = ChildProcesses.freePort();
            RedisProcess redis = new RedisProcess(binary, directory, port, role.arguments(port));
            try {
                redis.startProcess();
                return redis;
            } catch (IOException e) {
                redis.close();
                lastFailure = e;
            }
        }
        throw lastFailure;
    }

    private void startProcess() throws IOException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(role.first());
        command.addAll(List.of("--port", String.valueOf(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", directory.toString(), "--daemonize", "no"));
        command.addAll(role.last());
        process = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(directory.resolve("redis-" + port + ".log").toFile()))
                .start();
        ChildProcesses.killOnExit(process);
        Process started = process;
        try {
            await().atMost(START_TIMEOUT).pollInterval(Duration.ofMillis(50)).until(() -> !started.isAlive() || answersPing());
        } catch (ConditionTimeoutException e) {
            throw new IOException("redis-server on port " + port + " did not answer PING within " + START_TIMEOUT);
        }
        if (!started.isAlive()) {
            throw new IOException("redis-server on port " + port + " exited with " + started.exitValue()
                    + " (log: " + directory.resolve("redis-" + port + ".log") + ")");
        }
    }

    public int port() {
        return port;
    }

    /** redis://127.0.0.1:port */
    public String uri() {
        return "redis://127.0.0.1:" + port;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** {@code SHUTDOWN NOSAVE}: the server exits, every key is gone; waits until the process has exited. */
    public void shutdown() throws IOException, InterruptedException {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("SHUTDOWN NOSAVE\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().read();
        } catch (IOException e) {
            // the server closes the connection as it exits; the exit itself is what we wait for
        }
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            throw new IllegalStateException("redis-server did not exit after SHUTDOWN NOSAVE");
        }
    }

    /** Starts redis-server again on the same port (empty); waits for PING. */
    public void startAgain() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("redis-server is still running");
        }
        startProcess();
    }

    /**
     * One command over a connection of its own, its reply as text: a status or a bulk string as it is,
     * an integer in decimal, an array's elements one per line. An error reply throws.
     */
    public String command(String... arguments) throws IOException {
        try (Socket socket = connect()) {
            StringBuilder request = new StringBuilder("*").append(arguments.length).append("\r\n");
            for (String argument : arguments) {
                byte[] bytes = argument.getBytes(StandardCharsets.UTF_8);
                request.append('$').append(bytes.length).append("\r\n").append(argument).append("\r\n");
            }
            socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.UTF_8));
            return readReply(new DataInputStream(new BufferedInputStream(socket.getInputStream())));
        }
    }

    private static String readReply(DataInputStream input) throws IOException {
        String line = readLine(input);
        switch (line.charAt(0)) {
            case '+', ':' -> {
                return line.substring(1);
            }
            case '-' -> throw new IOException("redis answered " + line.substring(1));
            case '$' -> {
                int length = Integer.parseInt(line.substring(1));
                if (length < 0) {
                    return null;
                }
                byte[] bulk = new byte[length + 2]; // and its CRLF
                input.readFully(bulk);
                return new String(bulk, 0, length, StandardCharsets.UTF_8);
            }
            case '*' -> {
                int count = Integer.parseInt(line.substring(1));
                List<String> elements = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    elements.add(readReply(input));
                }
                return String.join("\n", elements);
            }
            default -> throw new IOException("not a RESP reply: " + line);
        }
    }

    private static String readLine(DataInputStream input) throws IOException {
        StringBuilder line = new StringBuilder();
        int previous = -1;
        for (int next = input.read(); next != -1; next = input.read()) {
            if (previous == '\r' && next == '\n') {
                line.setLength(line.length() - 1);
                return line.toString();
            }
            line.append((char) next);
            previous = next;
        }
        throw new IOException("redis closed the connection mid-reply");
    }

    /** SIGKILL: a crash, with nothing said to the other nodes; waits until the process has exited. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        if (!process.waitFor(15, TimeUnit.SECONDS)) {
            throw new IllegalStateException("redis-server did not exit after SIGKILL");
        }
    }

    private boolean answersPing() {
        try (Socket socket = connect()) {
            socket.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            String reply = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII)).readLine();
            return "+PONG".equals(reply);
        } catch (IOException e) {
            return false;
        }
    }

    private Socket connect() throws IOException {
        Socket socket = new Socket();
        socket.connect(new InetSocketAddress("127.0.0.1", port), 2000);
        socket.setSoTimeout(5000);
        return socket;
    }

    /** SIGTERM, then SIGKILL if it lingers. */
    @Override
    public void close() {
        if (process != null && process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }
}
