package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import dev.switchboard.bench.load.LoadWorker;
import org.HdrHistogram.Histogram;

/**
 * The floor under durable latency: how long the disk holding the data directory takes to make a
 * small append durable ({@code fdatasync}), the same work a SQLite commit with {@code synchronous=FULL}
 * waits for before a message is acknowledged. A durable p99 cannot be lower than this p99.
 */
final class DiskProbe {
    private static final int APPEND_BYTES = 4096;

    private DiskProbe() {
    }

    /** {@code samples} appends of 4 KiB, each forced to disk, about 1 ms apart (as commits at 1,000/s would be). */
    static ObjectNode measure(Path directory, int samples) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path file = directory.resolve("fsync-probe.bin");
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        ByteBuffer block = ByteBuffer.allocateDirect(APPEND_BYTES);
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (int i = 0; i < samples; i++) {
                block.clear();
                channel.write(block);
                long start = System.nanoTime();
                channel.force(false);
                histogram.recordValue(System.nanoTime() - start);
                Thread.sleep(1); // pacing like a commit stream at 1,000/s, not synchronisation
            }
        } finally {
            Files.deleteIfExists(file);
        }
        return LoadWorker.histogramJson(histogram);
    }

    /**
     * The floor under durable latency at a message rate: {@code samples} arrivals, evenly spaced at
     * {@code rate} per second, made durable by one thread the way a group commit does it (append 4 KiB,
     * {@code fdatasync}, then acknowledge every arrival that came before the append), each measured
     * from its arrival to its acknowledgement. No network, parsing or database: a server on this disk
     * that acknowledges a message only after an {@code fdatasync} covering it cannot do better.
     */
    static ObjectNode groupCommit(Path directory, int rate, int samples) throws IOException, InterruptedException {
        Files.createDirectories(directory);
        Path file = directory.resolve("group-commit-probe.bin");
        Histogram histogram = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        ArrayBlockingQueue<Long> arrivals = new ArrayBlockingQueue<>(samples);
        AtomicReference<IOException> failure = new AtomicReference<>();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Thread committer = new Thread(() -> commitUntilDone(channel, arrivals, samples, histogram, failure),
                    "group-commit-probe");
            committer.start();
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < samples; i++) {
                long due = start + i * intervalNanos;
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    LockSupport.parkNanos(wait); // pacing of the arrivals, not synchronisation
                }
                arrivals.add(System.nanoTime());
            }
            committer.join();
        } finally {
            Files.deleteIfExists(file);
        }
        if (failure.get() != null) {
            throw failure.get();
        }
        return LoadWorker.histogramJson(histogram);
    }

    private static void commitUntilDone(FileChannel channel, ArrayBlockingQueue<Long> arrivals, int samples,
                                        Histogram histogram, AtomicReference<IOException> failure) {
        ByteBuffer block = ByteBuffer.allocateDirect(APPEND_BYTES);
        List<Long> batch = new ArrayList<>();
        try {
            for (int done = 0; done < samples; done += batch.size()) {
                batch.clear();
                batch.add(arrivals.take());
                arrivals.drainTo(batch);
                block.clear();
                channel.write(block);
                channel.force(false);
                long now = System.nanoTime();
                for (long arrival : batch) {
                    histogram.recordValue(now - arrival);
                }
            }
        } catch (IOException e) {
            failure.set(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
