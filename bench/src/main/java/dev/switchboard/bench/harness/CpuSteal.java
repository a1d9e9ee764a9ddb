package dev.switchboard.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The share of the machine's CPU time that the hypervisor spent on other guests while a result was
 * measured: the {@code steal} column of the {@code cpu} line of {@code /proc/stat}. On a shared virtual
 * machine the same build's figures move between runs with it (the peers' too), so every result row
 * records it beside the figures and two rows can be compared knowing what the machine was doing.
 */
final class CpuSteal {
    private static final Path PROC_STAT = Path.of("/proc/stat");

    /** The machine's CPU time counters at one moment, in clock ticks (all CPUs together). */
    record Sample(long totalTicks, long stealTicks) {
    }

    private CpuSteal() {
    }

    /** The counters now, or null where {@code /proc/stat} cannot be read (not Linux). */
    static Sample sample() {
        try (var lines = Files.lines(PROC_STAT)) {
            return lines.filter(line -> line.startsWith("cpu ")).findFirst().map(CpuSteal::parse).orElse(null);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * Parses the aggregate line: {@code cpu user nice system idle iowait irq softirq steal guest guest_nice}.
     * The total is the first eight fields: guest time is already counted in user and nice.
     */
    static Sample parse(String cpuLine) {
        String[] fields = cpuLine.trim().split("\\s+");
        if (!"cpu".equals(fields[0]) || fields.length < 9) {
            throw new IllegalArgumentException("not the aggregate cpu line of /proc/stat: " + cpuLine);
        }
        long total = 0;
        for (int i = 1; i <= 8; i++) {
            total += Long.parseLong(fields[i]);
        }
        return new Sample(total, Long.parseLong(fields[8]));
    }

    /** Steal between two samples as a percentage of all CPU time in between, or -1 when unknown. */
    static double percentBetween(Sample from, Sample to) {
        if (from == null || to == null || to.totalTicks() <= from.totalTicks()) {
            return -1;
        }
        return 100.0 * (to.stealTicks() - from.stealTicks()) / (to.totalTicks() - from.totalTicks());
    }
}
