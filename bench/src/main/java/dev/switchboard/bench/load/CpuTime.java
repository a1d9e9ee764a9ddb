package dev.switchboard.bench.load;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * The CPU time (user + system) of some processes, or of their threads of one name, over a window, from
 * {@code /proc} (Linux), in cores: 1.0 is one core busy for the whole window. Used to show which side of
 * a benchmark (server or load generator), and which thread of the server, spends the machine's cores.
 */
final class CpuTime {
    /** Clock ticks per second of {@code /proc/<pid>/stat}: USER_HZ, 100 on Linux. */
    private static final double TICKS_PER_SECOND = 100;
    /** Linux keeps this many characters of a thread's name ({@code comm}, 16 bytes with the terminator). */
    private static final int THREAD_NAME_LENGTH = 15;

    private final long[] pids;
    /** Null for whole processes; else only the threads whose name ({@code comm}) is this. */
    private final String threadName;
    /** Ticks per thread (or per process) at {@link #start}; null before it or when nothing could be read. */
    private Map<String, Long> startTicks;
    private long startNanos;

    /** @param pids comma-separated process ids; empty for none (then nothing is measured) */
    CpuTime(String pids) {
        this(pids, null);
    }

    /**
     * @param pids comma-separated process ids; empty for none (then nothing is measured)
     * @param threadName only these processes' threads of this name (compared on the first 15 characters,
     *     all that Linux keeps)
     */
    CpuTime(String pids, String threadName) {
        this.pids = pids.isBlank() ? new long[0]
                : java.util.Arrays.stream(pids.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
        this.threadName = threadName == null || threadName.length() <= THREAD_NAME_LENGTH
                ? threadName : threadName.substring(0, THREAD_NAME_LENGTH);
    }

    void start() {
        startTicks = ticks();
        startNanos = System.nanoTime();
    }

    /**
     * Cores used since {@link #start}, or -1 when nothing could be read: a process, or (with a thread
     * name) any thread of the name at the end of the window. A thread that started within the window
     * counts from zero; one that ended within it is left out.
     */
    double coresSinceStart() {
        Map<String, Long> ticks = ticks();
        if (startTicks == null || ticks == null || (threadName != null && ticks.isEmpty())) {
            return -1;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        long used = 0;
        for (Map.Entry<String, Long> entry : ticks.entrySet()) {
            used += entry.getValue() - startTicks.getOrDefault(entry.getKey(), 0L);
        }
        return used / TICKS_PER_SECOND / seconds;
    }

    /** Ticks by process id, or by process and thread id when a thread name is set; null if a process could not be read. */
    private Map<String, Long> ticks() {
        if (pids.length == 0) {
            return null;
        }
        Map<String, Long> ticks = new HashMap<>();
        for (long pid : pids) {
            try {
                if (threadName == null) {
                    ticks.put(Long.toString(pid), statTicks(Files.readString(Path.of("/proc/" + pid + "/stat"))));
                    continue;
                }
                try (DirectoryStream<Path> threads = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
                    for (Path thread : threads) {
                        String stat;
                        try {
                            stat = Files.readString(thread.resolve("stat"));
                        } catch (IOException ended) {
                            continue; // the thread ended between the listing and the read
                        }
                        if (threadName.equals(stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')))) {
                            ticks.put(pid + "/" + thread.getFileName(), statTicks(stat));
                        }
                    }
                }
            } catch (IOException | RuntimeException e) {
                return null;
            }
        }
        return ticks;
    }

    /** utime + stime (fields 14 and 15) of a {@code stat} line. */
    private static long statTicks(String stat) {
        // Fields after the command name, which is in parentheses and may contain spaces.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }
}
