package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
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
}
