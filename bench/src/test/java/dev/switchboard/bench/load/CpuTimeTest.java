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
            await().atMost(Duration.ofSeconds(30)).until(() -> busyThread.coresSinceStart() > 0);
            assertThat(absentThread.coresSinceStart()).isEqualTo(-1); // unknown, not idle
            assertThat(wholeProcess.coresSinceStart()).isPositive();
        } finally {
            spinning.set(false);
            busy.join();
        }
    }

    @Test
    void separatesTheKernelsPart_ofAThreadInSystemCalls() throws Exception {
        AtomicBoolean calling = new AtomicBoolean(true);
        java.nio.file.Path file = java.nio.file.Files.createTempFile("cpu-time", ".bin");
        Thread busy = new Thread(() -> {
            java.nio.ByteBuffer bytes = java.nio.ByteBuffer.allocateDirect(1);
            try (java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(file,
                    java.nio.file.StandardOpenOption.WRITE)) {
                while (calling.get()) {
                    channel.write(bytes.clear(), 0); // a system call after another: time in the kernel
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }, "cpu-time-kernel");
        CpuTime calls = new CpuTime(OWN_PID, "cpu-time-kernel");
        calls.start();
        busy.start();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> calls.usageSinceStart().kernelCores() > 0);
            CpuTime.Usage usage = calls.usageSinceStart();
            assertThat(usage.kernelCores()).isPositive().isLessThanOrEqualTo(usage.cores());
            assertThat(calls.coresSinceStart()).isPositive();
        } finally {
            calling.set(false);
            busy.join();
            java.nio.file.Files.delete(file);
        }
    }

    @Test
    void unknownWithoutProcessesOrWhenAProcessCannotBeRead() {
        CpuTime none = new CpuTime("");
        CpuTime gone = new CpuTime(Long.toString(Long.MAX_VALUE), "store-writer");
        none.start();
        gone.start();

        assertThat(none.coresSinceStart()).isEqualTo(-1);
        assertThat(gone.coresSinceStart()).isEqualTo(-1);
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
                return longName.coresSinceStart() >= 0;
            });
        } finally {
            spinning.set(false);
            busy.join();
        }
    }

    @Test
    void unknownBeforeStart() {
        assertThat(new CpuTime(OWN_PID).coresSinceStart()).isEqualTo(-1);
    }
}
