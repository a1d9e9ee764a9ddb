package dev.switchboard.server.store;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Copies the embedded store's write-ahead log back into the database file on a thread of its own, every
 * {@value #INTERVAL_MILLIS} ms, so that the writer's commits stay one log append and one log fsync.
 *
 * <p>A round: a {@code PASSIVE} checkpoint copies the log's frames into the database file (it never
 * blocks the writer or a reader); an fdatasync of the database file puts those pages on disk; then the
 * writer is asked to {@linkplain JdbcWriter#requestCheckpoint finish}. Finishing is a checkpoint on the
 * writer's own connection the next time its queue is empty: it copies the few frames committed since,
 * fsyncs a database file that has almost nothing left to write, and the log restarts from its
 * beginning at the next commit.
 *
 * @implNote Why three steps. A checkpoint must reach the end of the log to fsync the database file and
 * let the log restart, and under steady load a background one never does: the writer commits while it
 * copies. SQLite's automatic checkpoint (after 1,000 log frames) then runs inside a commit on the writer
 * thread and pays the whole database fsync there: measured at 1,000 durable messages/s, it fired about
 * twice a second with a 1.5–2 ms fsync, and the messages queued behind it made the p99. The writer's
 * automatic checkpoint is raised to {@link JdbcWriter#WRITER_AUTOCHECKPOINT_PAGES} and stays as the
 * backstop for a writer that is never idle. The fdatasync goes through a channel this class keeps open
 * for the store's lifetime: closing any descriptor of the file would drop SQLite's POSIX locks on it.
 */
final class SqliteCheckpointer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteCheckpointer.class);
    static final long INTERVAL_MILLIS = 200;

    private final DataSource dataSource;
    private final FileChannel databaseFile;
    private final Runnable finishOnWriter;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "store-checkpoint");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param databaseFile   the database file, or null for a store without one (in memory)
     * @param finishOnWriter asks the writer to run the closing checkpoint when it is idle
     */
    SqliteCheckpointer(DataSource dataSource, Path databaseFile, Runnable finishOnWriter) {
        this.dataSource = dataSource;
        this.databaseFile = open(databaseFile);
        this.finishOnWriter = finishOnWriter;
        executor.scheduleWithFixedDelay(this::checkpoint, INTERVAL_MILLIS, INTERVAL_MILLIS, TimeUnit.MILLISECONDS);
    }

    private static FileChannel open(Path databaseFile) {
        if (databaseFile == null || !Files.isRegularFile(databaseFile)) {
            return null;
        }
        try {
            return FileChannel.open(databaseFile, StandardOpenOption.READ);
        } catch (IOException e) {
            log.atWarn().setMessage("cannot open the database file for background syncs; the writer will sync it")
                    .addKeyValue("error", e.toString()).log();
            return null;
        }
    }

    private void checkpoint() {
        long frames;
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            // One row: busy flag, frames in the log, frames now copied into the database file.
            frames = result.next() ? result.getLong(2) : 0;
        } catch (SQLException | RuntimeException e) {
            log.atDebug().setMessage("background checkpoint failed; the writer's automatic one remains")
                    .addKeyValue("error", e.toString()).log();
            return;
        }
        if (frames <= 0) {
            return; // the log is empty or was restarted: nothing for the writer to finish
        }
        if (databaseFile != null) {
            try {
                databaseFile.force(false);
            } catch (IOException e) {
                log.atDebug().setMessage("background sync of the database file failed; the writer's checkpoint syncs it")
                        .addKeyValue("error", e.toString()).log();
            }
        }
        finishOnWriter.run();
    }

    /** Stops checkpointing (before the pool closes); a checkpoint under way finishes first. */
    void stop() {
        executor.shutdown();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Releases the database file; call after the pool has closed (SQLite's locks are gone by then). */
    @Override
    public void close() {
        stop();
        if (databaseFile != null) {
            try {
                databaseFile.close();
            } catch (IOException ignored) {
                // nothing was written through this channel
            }
        }
    }
}
