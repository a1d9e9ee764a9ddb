package dev.switchboard.server.store;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the embedded store's write-ahead log back into the database file on a thread of its own, a
 * {@code PASSIVE} checkpoint every {@value #INTERVAL_MILLIS} ms: it never blocks the writer or a reader.
 *
 * @implNote SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, on the
 * writer thread: every so often a commit also writes those pages into the database file and fsyncs it,
 * which costs the writer throughput and the messages of that batch their latency. Here the copy happens
 * beside the writer (on the other core), and the automatic checkpoint, still enabled, only finds the few
 * pages left over; it stays as the backstop that lets the log restart from its beginning.
 */
final class SqliteCheckpointer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteCheckpointer.class);
    static final long INTERVAL_MILLIS = 200;

    private final DataSource dataSource;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "store-checkpoint");
        thread.setDaemon(true);
        return thread;
    });

    SqliteCheckpointer(DataSource dataSource) {
        this.dataSource = dataSource;
        executor.scheduleWithFixedDelay(this::checkpoint, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private void checkpoint() {
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement()) {
            statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
        } catch (SQLException | RuntimeException e) {
            log.atDebug().setMessage("background checkpoint failed; the automatic one remains").addKeyValue("error", e.toString()).log();
        }
    }

    /** Stops checkpointing (before the pool closes); a checkpoint under way finishes first. */
    @Override
    public void close() {
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
