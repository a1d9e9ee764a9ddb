package dev.switchboard.server.cli;

import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.store.AppendRequest;
import dev.switchboard.server.store.JdbcDatabase;
import dev.switchboard.server.store.JdbcMessageStore;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Measures how many 1:1 messages per second the durable store commits through the real write path
 * (group commit, idempotency check, two inbox entries per message), with a bounded number in flight.
 */
@Command(name = "store-bench", mixinStandardHelpOptions = true,
        description = "Append N durable 1:1 messages to a fresh embedded store and report messages/s.")
public final class StoreBenchCommand implements Callable<Integer> {

    @Option(names = "--messages", defaultValue = "100000", description = "messages to append (default ${DEFAULT-VALUE})")
    int messages;

    @Option(names = "--users", defaultValue = "1000", description = "distinct users (default ${DEFAULT-VALUE})")
    int users;

    @Option(names = "--in-flight", defaultValue = "4096", description = "appends in flight (default ${DEFAULT-VALUE})")
    int inFlight;

    @Option(names = "--synchronous", defaultValue = "FULL", description = "SQLite synchronous: FULL or NORMAL")
    String synchronous;

    @Option(names = "--max-batch", defaultValue = "512", description = "writes per group commit at most (default ${DEFAULT-VALUE})")
    int maxBatch;

    @Override
    public Integer call() throws Exception {
        Path directory = Files.createTempDirectory("switchboard-store-bench");
        ServerConfig defaults = new ConfigLoader().load(null, Map.of(), Map.of("store.synchronous", synchronous,
                "store.maxBatch", Integer.toString(maxBatch)));
        JdbcMessageStore store = new JdbcMessageStore(JdbcDatabase.open(defaults.store(), directory));
        long writerCpuStart = writerCpuNanos();
        Semaphore window = new Semaphore(inFlight);
        AtomicLong failures = new AtomicLong();
        String body = "\"benchmark message body of a typical chat length\"";
        long start = System.nanoTime();
        CompletableFuture<?> last = CompletableFuture.completedFuture(null);
        for (int i = 0; i < messages; i++) {
            window.acquire();
            String sender = "user-" + (i % users);
            String recipient = "user-" + ((i * 7 + 1) % users);
            last = store.append(new AppendRequest(sender, "bench", TargetKind.USER, recipient, "c-" + i, body,
                    System.currentTimeMillis())).whenComplete((result, error) -> {
                        if (error != null) {
                            failures.incrementAndGet();
                        }
                        window.release();
                    });
        }
        window.acquire(inFlight);
        last.join();
        double seconds = (System.nanoTime() - start) / 1e9;
        double writerMicrosPerMessage = (writerCpuNanos() - writerCpuStart) / 1e3 / messages;
        store.close();
        System.out.printf("store-bench: %d messages (%d inbox entries) in %.2f s = %.0f messages/s, "
                        + "writer thread CPU %.1f µs per message, synchronous=%s, failures=%d%n",
                messages, 2L * messages, seconds, messages / seconds, writerMicrosPerMessage, synchronous, failures.get());
        return failures.get() == 0 ? 0 : 1;
    }

    /**
     * CPU time used so far by the store's writer thread: the resource that bounds durable throughput,
     * and a steadier figure than messages per second on a machine whose other load varies.
     */
    private static long writerCpuNanos() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (ThreadInfo thread : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (thread != null && thread.getThreadName().equals("store-writer")) {
                return threads.getThreadCpuTime(thread.getThreadId());
            }
        }
        throw new IllegalStateException("no store-writer thread");
    }
}
