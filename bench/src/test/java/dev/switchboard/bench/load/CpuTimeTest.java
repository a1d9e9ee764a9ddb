package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;

@EnabledOnOs(OS.LINUX) // reads /proc
class CpuTimeTest {
    private static final String OWN_PID = Long.toString(ProcessHandle.current().pid());
    private static volatile long spun;

    @Test
    void countsOnlyTheThreadsOfTheGivenNameAndKnowsNothingOfAnAbsentOne() throws InterruptedException {
        AtomicBoolean spinning = new AtomicBoolean(true);
        Thread busy = new Thread(() -> {
            while (spinning.get()) {
                spun++; // on the CPU until told to stop
            }
        }, "cpu-time-busy");
        CpuTime busyThread = new CpuTime(OWN_PID, "cpu-time-busy");
        CpuTime absentThread = new CpuTime(OWN_PID, "cpu-time-absent");
        CpuTime wholeProcess = new CpuTime(OWN_PID);
        busyThread.start();
        absentThread.start();
        wholeProcess.start();
        busy.start(); // after start(): a thread that begins within the window counts from zero
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> cores(busyThread) > 0);
            assertThat(absentThread.usageSinceStart()).isNull(); // unknown, not idle
            assertThat(cores(wholeProcess)).isPositive();
        } finally {
            spinning.set(false);
            busy.join();
        }
    }

    @Test
    void separatesTheKernelsPart_mostOfAThreadInSystemCallsAndLittleOfOneSpinning() throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("cpu-time", ".bin");
        Thread calling = new Thread(() -> {
            // 64 KiB into the page cache per call: the kernel's copy outweighs the call's Java side by far.
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocateDirect(64 * 1024);
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                while (running.get()) {
                    channel.write(bytes.clear(), 0);
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "cpu-time-kernel");
        Thread spinning = new Thread(() -> {
            while (running.get()) {
                spun++;
            }
        }, "cpu-time-user");
        CpuTime calls = new CpuTime(OWN_PID, "cpu-time-kernel");
        CpuTime spins = new CpuTime(OWN_PID, "cpu-time-user");
        calls.start();
        spins.start();
        long start = System.nanoTime();
        calling.start();
        spinning.start();
        try {
            // At least 30 clock ticks (0.3 s of CPU) each, so one tick more or less cannot decide.
            await().atMost(Duration.ofSeconds(60)).until(() -> ticksAtLeast(calls, start, 30) && ticksAtLeast(spins, start, 30));
            CpuTime.Usage inCalls = calls.usageSinceStart();
            CpuTime.Usage inSpin = spins.usageSinceStart();
            assertThat(inCalls.kernelCores()).isGreaterThan(inCalls.cores() / 2).isLessThanOrEqualTo(inCalls.cores());
            assertThat(inSpin.kernelCores()).isLessThan(inSpin.cores() / 2);
        } finally {
            running.set(false);
            calling.join();
            spinning.join();
            java.nio.file.Files.delete(file);
        }
    }

    /** The cores {@code cpu} read since its start; 0 while it reads nothing (a new thread's name not yet in /proc). */
    private static double cores(CpuTime cpu) {
        CpuTime.Usage usage = cpu.usageSinceStart();
        return usage == null ? 0 : usage.cores();
    }

    /** Whether the threads behind {@code cpu} used at least {@code ticks} clock ticks since {@code startNanos}. */
    private static boolean ticksAtLeast(CpuTime cpu, long startNanos, int ticks) {
        CpuTime.Usage usage = cpu.usageSinceStart(); // null until the new thread's name is visible in /proc
        return usage != null && usage.cores() * (System.nanoTime() - startNanos) / 1e9 * 100 >= ticks;
    }

    @Test
    void unknownWithoutProcessesOrWhenAProcessCannotBeRead() {
        CpuTime none = new CpuTime("");
        CpuTime gone = new CpuTime(Long.toString(Long.MAX_VALUE), "store-writer");
        none.start();
        gone.start();

        assertThat(none.usageSinceStart()).isNull();
        assertThat(gone.usageSinceStart()).isNull();
    }

    @Test
    void comparesOnlyTheFifteenCharactersLinuxKeepsOfAThreadName() throws InterruptedException {
        AtomicBoolean spinning = new AtomicBoolean(true);
        Thread busy = new Thread(() -> {
            while (spinning.get()) {
                spun++;
            }
        }, "cpu-time-long-name-beyond-fifteen");
        CpuTime longName = new CpuTime(OWN_PID, "cpu-time-long-name-beyond-fifteen");
        busy.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                longName.start(); // the thread is listed under "cpu-time-long-n"
                return longName.usageSinceStart() != null;
            });
        } finally {
            spinning.set(false);
            busy.join();
        }
    }

    @Test
    void unknownBeforeStart() {
        assertThat(new CpuTime(OWN_PID).usageSinceStart()).isNull();
    }
}
