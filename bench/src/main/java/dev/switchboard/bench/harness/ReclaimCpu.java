package dev.switchboard.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;

/**
 * CPU time of the kernel's memory-reclaim threads ({@code kdamond*}, DAMON's monitor and pageout, and
 * {@code kswapd*}), the noise this machine's figures move with most. On the project's benchmark machines
 * the kernel runs DAMON with a pageout scheme, set up by the machine image (sampling every 0.5 s, a
 * quota of 50 ms a second); {@code perf sched} showed {@code kdamond} running inside more of the event
 * loops' scheduling delays over 0.5 ms than any other thread, and with it switched off (a diagnostic,
 * bench/analysis.md) the topic path's p99 went from 0.99–2.17 to 0.45 ms for Switchboard and from
 * 0.50–0.68 to 0.29 ms for Bun. Every result row records this share of the machine's CPU beside the
 * CPU steal.
 */
final class ReclaimCpu {
    private static final Path PROC = Path.of("/proc");

    private ReclaimCpu() {
    }

    /** Clock ticks the reclaim threads have used since boot (all of them together), or -1 when unreadable. */
    static long ticks() {
        try (Stream<Path> processes = Files.list(PROC)) {
            return processes.filter(path -> path.getFileName().toString().chars().allMatch(Character::isDigit))
                    .mapToLong(ReclaimCpu::ticksOf).filter(ticks -> ticks > 0).sum();
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static long ticksOf(Path process) {
        try {
            return ticksOf(Files.readString(process.resolve("stat")));
        } catch (IOException | RuntimeException e) {
            return 0; // gone meanwhile, or not ours to read
        }
    }

    /**
     * The utime + stime of a {@code /proc/<pid>/stat} line if it is a reclaim thread's, else 0. The name is
     * in parentheses and may hold spaces, so the fields are counted after the last closing parenthesis:
     * state, ppid, … with utime and stime the 12th and 13th of them.
     */
    static long ticksOf(String statLine) {
        int open = statLine.indexOf('(');
        int close = statLine.lastIndexOf(')');
        if (open < 0 || close < open) {
            return 0;
        }
        String name = statLine.substring(open + 1, close);
        if (!name.startsWith("kdamond") && !name.startsWith("kswapd")) {
            return 0;
        }
        String[] fields = statLine.substring(close + 2).trim().split("\\s+");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** The reclaim threads' share of all CPU time between two readings, in percent, or -1 when unknown. */
    static double percentBetween(long reclaimFrom, long reclaimTo, CpuSteal.Sample from, CpuSteal.Sample to) {
        if (reclaimFrom < 0 || reclaimTo < reclaimFrom || from == null || to == null
                || to.totalTicks() <= from.totalTicks()) {
            return -1;
        }
        return 100.0 * (reclaimTo - reclaimFrom) / (to.totalTicks() - from.totalTicks());
    }
}
