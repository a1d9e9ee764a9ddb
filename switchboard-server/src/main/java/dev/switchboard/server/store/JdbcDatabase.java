package dev.switchboard.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.config.ServerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SQL database behind {@link JdbcMessageStore} and {@link JdbcGroupStore}: connection pool,
 * schema migrations, the single group-commit {@link JdbcWriter} and a small bounded pool of reader
 * threads. Embedded default: SQLite in WAL mode, a file in the data directory (one writer, readers
 * that never block it).
 */
public final class JdbcDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JdbcDatabase.class);
    private static final int READ_QUEUE_CAPACITY = 8192;

    private final HikariDataSource dataSource;
    private final SqlDialect dialect;
    private final DirectoryLock directoryLock;
    private final JdbcWriter writer;
    /** The embedded store's inbox (SQLite), null for MariaDB and PostgreSQL. */
    private final PackedInbox packedInbox;
    /** Device states in memory where one writer makes every change (SQLite), else null. */
    private final DeviceStateCache deviceStates;
    private final ThreadPoolExecutor readers;
    /** The readers' threads while they run: {@link #close} waits for each to give its kept connection back. */
    private final Set<ReaderThread> readerThreads = ConcurrentHashMap.newKeySet();
    private final SqliteCheckpointer checkpointer;

    private JdbcDatabase(HikariDataSource dataSource, SqlDialect dialect, DirectoryLock directoryLock,
                         ServerConfig.Store config, Path databaseFile, long checkpointIntervalMillis,
                         PackedInbox packedInbox) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.directoryLock = directoryLock;
        this.packedInbox = packedInbox;
        this.deviceStates = dialect.isSingleWriter() ? new DeviceStateCache(DeviceStateCache.DEFAULT_CAPACITY) : null;
        this.writer = new JdbcWriter(dataSource, dialect, config.writeQueueCapacity(), config.maxBatch(), packedInbox,
                deviceStates);
        AtomicInteger threadNumber = new AtomicInteger();
        this.readers = new ThreadPoolExecutor(config.readerThreads(), config.readerThreads(), 0, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(READ_QUEUE_CAPACITY),
                runnable -> {
                    ReaderThread thread = new ReaderThread(runnable, "store-reader-" + threadNumber.incrementAndGet());
                    readerThreads.add(thread);
                    return thread;
                });
        this.checkpointer = dialect == SqlDialect.SQLITE
                ? new SqliteCheckpointer(dataSource, databaseFile, writer::requestCheckpoint, writer::commits,
                        checkpointIntervalMillis) : null;
    }

    /**
     * Opens the database named by the config and migrates its schema: the SQLite file
     * {@code switchboard.db} in {@code dataDirectory} when no url is set, else the url's MariaDB/MySQL
     * or PostgreSQL database (which must exist).
     */
    public static JdbcDatabase open(ServerConfig.Store config, Path dataDirectory) {
        return open(config, dataDirectory, SqliteCheckpointer.INTERVAL_MILLIS);
    }

    /**
     * {@link #open(ServerConfig.Store, Path)} with SQLite's background checkpoint every
     * {@code checkpointIntervalMillis}; 0 runs none by itself, for a test that runs the rounds
     * ({@link #runCheckpointRound}) at points of its choosing instead of every 200 ms.
     */
    static JdbcDatabase open(ServerConfig.Store config, Path dataDirectory, long checkpointIntervalMillis) {
        String url = config.url();
        DirectoryLock directoryLock = null;
        if (url == null || url.isBlank()) {
            try {
                Files.createDirectories(dataDirectory);
            } catch (java.io.IOException e) {
                throw new StoreException("cannot create data directory " + dataDirectory, e);
            }
            // The embedded store has one writer: a second process on the same files would corrupt the seqs.
            directoryLock = DirectoryLock.acquire(dataDirectory);
            url = "jdbc:sqlite:" + dataDirectory.resolve("switchboard.db").toAbsolutePath();
        }
        try {
            return open(config, url, directoryLock, checkpointIntervalMillis);
        } catch (RuntimeException e) {
            if (directoryLock != null) {
                directoryLock.close();
            }
            throw e;
        }
    }

    private static JdbcDatabase open(ServerConfig.Store config, String url, DirectoryLock directoryLock,
                                     long checkpointIntervalMillis) {
        Path databaseFile = null;
        SqlDialect dialect = SqlDialect.fromJdbcUrl(url);
        HikariConfig hikari = new HikariConfig();
        hikari.setJdbcUrl(url);
        hikari.setPoolName("store");
        hikari.setMaximumPoolSize(config.readerThreads() + 2);
        hikari.setMinimumIdle(1);
        if (config.username() != null && !config.username().isEmpty()) {
            hikari.setUsername(config.username());
            hikari.setPassword(config.password());
        }
        if (dialect == SqlDialect.SQLITE) {
            databaseFile = sqliteFile(url);
            hikari.addDataSourceProperty("journal_mode", "WAL");
            hikari.addDataSourceProperty("synchronous", config.synchronous());
            hikari.addDataSourceProperty("busy_timeout", "10000");
            hikari.addDataSourceProperty("foreign_keys", "true");
        }
        HikariDataSource dataSource;
        try {
            dataSource = new HikariDataSource(hikari);
        } catch (RuntimeException e) {
            throw new StoreException("cannot connect to the store at " + redacted(url) + ": " + e.getMessage(), e);
        }
        try {
            Flyway.configure()
                    .dataSource(dataSource)
                    .locations(dialect.migrationLocation())
                    .load()
                    .migrate();
        } catch (RuntimeException e) {
            dataSource.close();
            throw new StoreException("schema migration failed for " + redacted(url), e);
        }
        PackedInbox packedInbox = null;
        if (dialect == SqlDialect.SQLITE) {
            try {
                packedInbox = PackedInbox.open(dataSource); // before any read: the log's entries go into runs
            } catch (SQLException | RuntimeException e) {
                dataSource.close();
                throw new StoreException("cannot open the inbox of " + redacted(url) + ": " + e.getMessage(), e);
            }
        }
        log.atInfo().setMessage("store opened").addKeyValue("url", redacted(url)).addKeyValue("dialect", dialect)
                .addKeyValue("synchronous", dialect == SqlDialect.SQLITE ? config.synchronous() : "n/a").log();
        return new JdbcDatabase(dataSource, dialect, directoryLock, config, databaseFile, checkpointIntervalMillis,
                packedInbox);
    }

    /** The file of a {@code jdbc:sqlite:} url, or null for an in-memory database. */
    static Path sqliteFile(String url) {
        String location = url.substring("jdbc:sqlite:".length());
        if (location.contains("mode=memory")) {
            return null;
        }
        int query = location.indexOf('?');
        if (query >= 0) {
            location = location.substring(0, query);
        }
        if (location.startsWith("file:")) {
            location = location.substring("file:".length());
        }
        if (location.isEmpty() || location.startsWith(":memory:")) {
            return null;
        }
        return Path.of(location);
    }

    /** The url without query parameters, which may carry credentials. */
    private static String redacted(String url) {
        int query = url.indexOf('?');
        return query < 0 ? url : url.substring(0, query) + "?…";
    }

    SqlDialect dialect() {
        return dialect;
    }

    /**
     * Reports every write batch (duration, committed or not) and every committed write (submission to
     * commit) to {@code observer}.
     */
    public void observeWrites(WriteObserver observer) {
        writer.observe(observer);
    }

    /** Writes waiting in the writer's queue, read at scrape time ({@code switchboard_store_queue_writes}). */
    public int queuedWrites() {
        return writer.queuedWrites();
    }

    JdbcWriter writer() {
        return writer;
    }

    /** The embedded store's inbox (SQLite), or null where entries are rows of {@code inbox}. */
    PackedInbox packedInbox() {
        return packedInbox;
    }

    /** The device states in memory (SQLite), or null where several writers may change them. */
    DeviceStateCache deviceStates() {
        return deviceStates;
    }

    /** A read that needs a connection; runs on a reader thread, in one read-only snapshot transaction. */
    interface Read<T> {
        T run(ReadContext context) throws SQLException;
    }

    <T> CompletableFuture<T> read(Read<T> read) {
        CompletableFuture<T> future = new CompletableFuture<>();
        try {
            readers.execute(() -> runRead(read, future));
        } catch (RejectedExecutionException e) {
            future.completeExceptionally(readers.isShutdown()
                    ? new StoreException("store is closed", e)
                    : new StoreBusyException("store read queue is full"));
        }
        return future;
    }

    /** On a reader thread. */
    private <T> void runRead(Read<T> read, CompletableFuture<T> future) {
        ReaderThread thread = (ReaderThread) Thread.currentThread();
        boolean kept = dialect == SqlDialect.SQLITE;
        ReadContext context = null;
        try {
            context = kept ? thread.keptContext() : openContext(false);
            T result;
            try {
                result = read.run(context);
            } finally {
                context.endRead();
            }
            future.complete(result); // after the snapshot ended: a callback run here holds no read transaction
        } catch (RequestRejectedException e) {
            future.completeExceptionally(e);
        } catch (SQLException | RuntimeException e) {
            future.completeExceptionally(new StoreException("store read failed: " + e.getMessage(), e));
            if (kept) {
                // The next read gets a new connection rather than reason about this one's state.
                thread.discardKeptContext(true);
            }
        } finally {
            if (!kept && context != null) {
                context.close();
            }
        }
    }

    private ReadContext openContext(boolean keepsStatements) throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            connection.setAutoCommit(false);
            if (!dialect.isSingleWriter()) {
                // One snapshot for every statement of the read (PostgreSQL defaults to one per
                // statement): an inbox page and its lastSeq must agree, or a gap looks expired.
                connection.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
                connection.setReadOnly(true);
            }
        } catch (SQLException | RuntimeException e) {
            connection.close();
            throw e;
        }
        return new ReadContext(connection, keepsStatements);
    }

    /**
     * A reader thread. On SQLite it keeps a connection and its prepared statements ({@link ReadContext})
     * from its first read until it ends, and gives the connection back to the pool however it ends
     * (shutdown, or an {@link Error} that kills it): the pool has one connection per reader, no spare.
     */
    private final class ReaderThread extends Thread {
        private ReadContext kept;

        ReaderThread(Runnable runnable, String name) {
            super(runnable, name);
            setDaemon(true);
        }

        @Override
        public void run() {
            try {
                super.run();
            } finally {
                discardKeptContext(false);
                readerThreads.remove(this);
            }
        }

        ReadContext keptContext() throws SQLException {
            if (kept == null) {
                kept = openContext(true);
            }
            return kept;
        }

        /**
         * Closes the kept context; {@code evict}: the pool closes its connection instead of reusing it.
         * Back to the pool first, then evicted: HikariCP closes a connection evicted while lent out at
         * once, under its proxy, whose own close then fails (a NullPointerException that killed the
         * reader thread after every failed read).
         */
        void discardKeptContext(boolean evict) {
            ReadContext context = kept;
            kept = null;
            if (context != null) {
                context.close();
                if (evict) {
                    dataSource.evictConnection(context.connection());
                }
            }
        }
    }

    boolean isHealthy() {
        return writer.isHealthy() && !dataSource.isClosed();
    }

    /** One background checkpoint round now (SQLite; opened with no schedule of its own); whether it copied the log. */
    boolean runCheckpointRound() {
        return checkpointer != null && checkpointer.runRound();
    }

    /** Commits what the writer has queued, then closes the pool. */
    @Override
    public void close() {
        writer.close();
        if (checkpointer != null) {
            checkpointer.stop();
        }
        readers.shutdown(); // queued reads still run; each reader then returns its kept connection
        try {
            if (!readers.awaitTermination(5, TimeUnit.SECONDS)) {
                readers.shutdownNow();
                readers.awaitTermination(5, TimeUnit.SECONDS);
            }
            // The executor counts a worker gone before its thread has returned its kept connection: a
            // pool closed in between closes that connection under its proxy, whose close then throws.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5); // for all of them together
            for (ReaderThread thread : readerThreads) {
                long leftMillis = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (leftMillis <= 0) {
                    break;
                }
                thread.join(leftMillis);
            }
        } catch (InterruptedException e) {
            readers.shutdownNow();
            Thread.currentThread().interrupt();
        }
        dataSource.close(); // closes whatever a reader still stuck in a statement holds
        if (checkpointer != null) {
            checkpointer.close();
        }
        if (directoryLock != null) {
            directoryLock.close();
        }
    }
}
