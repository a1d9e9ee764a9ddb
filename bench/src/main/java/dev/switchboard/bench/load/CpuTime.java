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
 * a benchmark (server or load generator), and which thread of the server, spends the machine's cores,
 * and how much of it the kernel spent in their system calls.
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
    private Map<String, Ticks> startTicks;
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
     * Cores used since {@link #start}, and the part of them spent in the kernel, read together; null when
     * nothing could be read: no process given, {@link #start} not called, a process gone, or (with a
     * thread name) no thread of the name at the end of the window. Unknown is never reported as idle. A
     * thread that started within the window counts from zero; one that ended within it is left out.
     */
    Usage usageSinceStart() {
        Map<String, Ticks> ticks = ticks();
        if (startTicks == null || ticks == null || (threadName != null && ticks.isEmpty())) {
            return null;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        long user = 0;
        long system = 0;
        for (Map.Entry<String, Ticks> entry : ticks.entrySet()) {
            Ticks before = startTicks.getOrDefault(entry.getKey(), Ticks.NONE);
            user += entry.getValue().user() - before.user();
            system += entry.getValue().system() - before.system();
        }
        return new Usage((user + system) / TICKS_PER_SECOND / seconds, system / TICKS_PER_SECOND / seconds);
    }

    /**
     * CPU used over a window, in cores.
     *
     * @param kernelCores the part spent in the kernel ({@code stime}): the processes' system calls and
     *     page faults, and on loopback usually the receiving side's TCP processing too, which runs in the
     *     sender's call unless the kernel defers it to {@code ksoftirqd} (or accounts interrupt time apart)
     */
    record Usage(double cores, double kernelCores) {
    }

    /** Clock ticks in user mode and in the kernel (fields 14 and 15 of {@code stat}). */
    private record Ticks(long user, long system) {
        static final Ticks NONE = new Ticks(0, 0);
    }

    /** Ticks by process id, or by process and thread id when a thread name is set; null if a process could not be read. */
    private Map<String, Ticks> ticks() {
        if (pids.length == 0) {
            return null;
        }
        Map<String, Ticks> ticks = new HashMap<>();
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

    /** utime and stime (fields 14 and 15) of a {@code stat} line. */
    private static Ticks statTicks(String stat) {
        // Fields after the command name, which is in parentheses and may contain spaces.
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new Ticks(Long.parseLong(fields[11]), Long.parseLong(fields[12]));
    }
}
