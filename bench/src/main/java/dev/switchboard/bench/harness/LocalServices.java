package dev.switchboard.bench.harness;

import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The processes of the cluster's MariaDB and Redis, when they run on this machine: the cluster's
 * durable throughput row reports their CPU beside the nodes'. On 2 shared cores the database's CPU is
 * part of what a message costs: in short runs after the run of {@code 31abf1a}, MariaDB and Redis used
 * more of it than both nodes together (bench/analysis.md, the cluster throughput paragraph). Found by
 * program name ({@code /proc/<pid>/comm}), and only when the harness's URL for the service names a
 * loopback host: a server elsewhere is not this machine's to measure.
 */
final class LocalServices {
    private static final Set<String> DATABASE_PROGRAMS = Set.of("mariadbd", "mysqld");
    private static final Set<String> REDIS_PROGRAMS = Set.of("redis-server");

    private LocalServices() {
    }

    /** The local database's and Redis's process ids (either or both may be missing). */
    static List<Long> pids(String databaseUrl, String redisUri) {
        List<Long> pids = new ArrayList<>();
        if (isLoopback(databaseUrl)) {
            pids.addAll(processesNamed(DATABASE_PROGRAMS));
        }
        if (isLoopback(redisUri)) {
            pids.addAll(processesNamed(REDIS_PROGRAMS));
        }
        return pids;
    }

    /**
     * Whether the host of {@code url} (a JDBC URL or a URI) is a loopback address; false when it has none.
     * Of a Redis Cluster's several hosts ({@code redis://host1:port1,host2:port2}) the first decides.
     */
    static boolean isLoopback(String url) {
        String uri = (url.startsWith("jdbc:") ? url.substring("jdbc:".length()) : url).replaceFirst(",[^/]*", "");
        try {
            String host = URI.create(uri).getHost();
            return host != null && InetAddress.getByName(host).isLoopbackAddress();
        } catch (IllegalArgumentException | UnknownHostException e) {
            return false;
        }
    }

    /** The processes whose program name is one of {@code names}. */
    static List<Long> processesNamed(Set<String> names) {
        return ProcessHandle.allProcesses().map(ProcessHandle::pid).filter(pid -> names.contains(programName(pid))).toList();
    }

    /** The program name the kernel keeps for a process (its first 15 characters), or "" once it has ended. */
    private static String programName(long pid) {
        try {
            return Files.readString(Path.of("/proc", Long.toString(pid), "comm")).strip();
        } catch (IOException e) {
            return "";
        }
    }
}
