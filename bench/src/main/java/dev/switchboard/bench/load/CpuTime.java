package dev.switchboard.bench.load;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The CPU time (user + system) of some processes over a window, from {@code /proc/<pid>/stat} (Linux),
 * in cores: 1.0 is one core busy for the whole window. Used to show which side of a benchmark (server or
 * load generator) spends the machine's cores.
 */
final class CpuTime {
    /** Clock ticks per second of {@code /proc/<pid>/stat}: USER_HZ, 100 on Linux. */
    private static final double TICKS_PER_SECOND = 100;

    private final long[] pids;
    private long startTicks = -1;
    private long startNanos;

    /** @param pids comma-separated process ids; empty for none (then nothing is measured) */
    CpuTime(String pids) {
        this.pids = pids.isBlank() ? new long[0]
                : java.util.Arrays.stream(pids.split(",")).map(String::trim).mapToLong(Long::parseLong).toArray();
    }

    void start() {
        startTicks = ticks();
        startNanos = System.nanoTime();
    }

    /** Cores used since {@link #start}, or -1 when nothing could be read. */
    double coresSinceStart() {
        long ticks = ticks();
        if (startTicks < 0 || ticks < 0) {
            return -1;
        }
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        return (ticks - startTicks) / TICKS_PER_SECOND / seconds;
    }

    private long ticks() {
        if (pids.length == 0) {
            return -1;
        }
        long total = 0;
        for (long pid : pids) {
            try {
                String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
                // Fields after the command name, which is in parentheses and may contain spaces.
                String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                total += Long.parseLong(fields[11]) + Long.parseLong(fields[12]); // utime, stime (fields 14, 15)
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        }
        return total;
    }
}
