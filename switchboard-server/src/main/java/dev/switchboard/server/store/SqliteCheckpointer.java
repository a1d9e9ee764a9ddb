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
import java.util.function.LongSupplier;
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
 *
 * <p>A round that finds nothing committed since a round that copied the whole log does nothing at all.
 * The log restarts only at the next commit, so without that check an idle store (or one serving only
 * topics) kept copying nothing, fsyncing the database file and waking the writer five times a second:
 * measured on the benchmark's topic path, two threads' work (about 4 ms of CPU a second) and a disk
 * cache flush every 200 ms, competing with the event loop for the cores (bench/analysis.md).
 */
final class SqliteCheckpointer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SqliteCheckpointer.class);
    static final long INTERVAL_MILLIS = 200;

    private final DataSource dataSource;
    private final FileChannel databaseFile;
    private final Runnable finishOnWriter;
    private final LongSupplier commits;
    /** The writer's commit count at the last round that copied the whole log and synced it; -1: none yet. */
    private long settledAtCommits = -1;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "store-checkpoint");
        thread.setDaemon(true);
        return thread;
    });

    /**
     * @param databaseFile   the database file, or null for a store without one (in memory)
     * @param finishOnWriter asks the writer to run the closing checkpoint when it is idle
     * @param commits        the writer's count of committed transactions ({@link JdbcWriter#commits})
     * @param intervalMillis time between rounds; 0 runs none by itself (tests call {@link #runRound})
     */
    SqliteCheckpointer(DataSource dataSource, Path databaseFile, Runnable finishOnWriter, LongSupplier commits,
                       long intervalMillis) {
        this.dataSource = dataSource;
        this.databaseFile = open(databaseFile);
        this.finishOnWriter = finishOnWriter;
        this.commits = commits;
        if (intervalMillis > 0) {
            executor.scheduleWithFixedDelay(this::runRound, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
        }
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

    /**
     * One round (on the checkpointer's thread, or a test's). Returns whether it copied and synced, i.e.
     * found something committed since the last round that reached the end of the log.
     */
    boolean runRound() {
        long committed = commits.getAsLong(); // before the copy: a commit after this makes the next round run
        if (committed == settledAtCommits) {
            return false;
        }
        long frames;
        long copied;
        try (Connection connection = dataSource.getConnection(); Statement statement = connection.createStatement();
             ResultSet result = statement.executeQuery("PRAGMA wal_checkpoint(PASSIVE)")) {
            // One row: busy flag, frames in the log, frames now copied into the database file.
            boolean row = result.next();
            frames = row ? result.getLong(2) : 0;
            copied = row ? result.getLong(3) : 0;
        } catch (SQLException | RuntimeException e) {
            log.atDebug().setMessage("background checkpoint failed; the writer's automatic one remains")
                    .addKeyValue("error", e.toString()).log();
            return false;
        }
        if (frames <= 0) {
            settledAtCommits = committed;
            return false; // the log is empty or was restarted: nothing for the writer to finish
        }
        boolean synced = true;
        if (databaseFile != null) {
            try {
                databaseFile.force(false);
            } catch (IOException e) {
                synced = false; // not settled: the next round tries again
                log.atDebug().setMessage("background sync of the database file failed; the writer's checkpoint syncs it")
                        .addKeyValue("error", e.toString()).log();
            }
        }
        finishOnWriter.run();
        if (synced && copied >= frames) {
            settledAtCommits = committed; // the whole log is in the synced database file
        }
        return true;
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
