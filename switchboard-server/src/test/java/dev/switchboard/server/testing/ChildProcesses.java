package dev.switchboard.server.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bookkeeping for the external processes tests start (nodes, nginx, redis-server): a JVM shutdown
 * hook SIGKILLs whatever is still running with its descendants, free ports, and finding a required
 * binary — missing means a loud skip, or a failure under {@code CI=true}.
 */
public final class ChildProcesses {
    private static final Logger log = LoggerFactory.getLogger(ChildProcesses.class);
    private static final Set<Process> RUNNING = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> RUNNING.forEach(ChildProcesses::destroyTree),
                "kill-child-processes"));
    }

    private ChildProcesses() {
    }

    /** SIGKILLs {@code process} (and its descendants) when the test JVM exits, if it is still running then. */
    public static void killOnExit(Process process) {
        RUNNING.add(process);
        process.onExit().thenRun(() -> RUNNING.remove(process));
    }

    /** SIGKILL to the process's descendants and to the process itself. */
    public static void destroyTree(Process process) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
    }

    /** A TCP port that was free on 127.0.0.1 a moment ago (another process may take it: retry on bind errors). */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The path of executable {@code name} (PATH, then /usr/sbin, /usr/local/sbin, /usr/local/bin). When
     * it is missing the test fails under {@code CI=true} and is skipped loudly elsewhere.
     */
    public static Path requireBinary(String name, String installHint) {
        Optional<Path> found = findBinary(name);
        if (found.isPresent()) {
            return found.get();
        }
        String message = name + " not found (" + installHint + ")";
        if ("true".equals(System.getenv("CI"))) {
            throw new IllegalStateException(message + ": multi-process tests must not skip under CI=true");
        }
        log.error("!!!!!!!! SKIPPING multi-process test: {} !!!!!!!!", message);
        Assumptions.abort(message);
        throw new AssertionError("unreachable");
    }

    static Optional<Path> findBinary(String name) {
        String path = Optional.ofNullable(System.getenv("PATH")).orElse("");
        return Stream.concat(Stream.of(path.split(":")), Stream.of("/usr/sbin", "/usr/local/sbin", "/usr/local/bin", "/sbin"))
                .filter(directory -> !directory.isEmpty())
                .map(directory -> Path.of(directory, name))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** The repository root: the first directory upwards from the working directory that holds {@code deploy/}. */
    public static Path repositoryRoot() {
        Path directory = Path.of("").toAbsolutePath();
        while (directory != null) {
            if (Files.isRegularFile(directory.resolve("deploy/nginx.conf"))) {
                return directory;
            }
            directory = directory.getParent();
        }
        throw new IllegalStateException("deploy/nginx.conf not found above " + Path.of("").toAbsolutePath());
    }
}
