package dev.switchboard.server.store;

import dev.switchboard.server.RequestRejectedException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one thread that writes to the database, committing queued writes together (group commit).
 *
 * @implNote Why one writer with group commit: SQLite allows one writer at a time, and a commit
 * costs an fsync (milliseconds) while a row costs microseconds. Draining up to {@code maxBatch}
 * queued writes into one transaction turns thousands of fsyncs per second into one per batch, and
 * the batch grows by itself under load (latency stays one commit when idle). A single writer also
 * makes per-user sequence allocation trivially race-free ({@link SequenceAllocator}). The cost: one
 * write failing at the SQL level fails its whole batch (every caller gets {@link StoreException}
 * and may retry), so a task must throw {@link RequestRejectedException} only <em>before</em> it
 * writes anything. The queue is bounded: when it is full, {@link #submit} fails at once with
 * {@link StoreBusyException} instead of blocking the caller (an event loop).
 */
final class JdbcWriter implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(JdbcWriter.class);

    private volatile WriteObserver observer = WriteObserver.NONE;

    /** Sets the write observer (metrics). */
    void observe(WriteObserver observer) {
        this.observer = observer;
    }

    /**
     * A unit of work run inside the writer's transaction. A batch first calls {@link #prepare} on every
     * task, then locks the sequences they reserved and runs the lookups they requested
     * ({@link WriteContext#afterPrepare}), then calls {@link #run} on every task that was not
     * rejected, writes the rows they queued ({@link WriteContext#flushQueued}) and asks each for its
     * {@link #result}. All may run more than once (a retried batch), so they must depend only on the
     * request and the database.
     */
    interface Task<T> {
        /** Reads what the task needs and reserves the users whose sequences it will advance. No writes. */
        default void prepare(WriteContext context) throws SQLException {
        }

        /** Does the task's writes, executed at once or queued on the context (see {@link WriteContext}). */
        T run(WriteContext context) throws SQLException;

        /**
         * The task's result, asked once the rows queued by the batch are written: by default what
         * {@link #run} returned. A task whose result needs its queued rows (a generated id) returns
         * null from run and its result here.
         */
        default T result(T ranResult) throws SQLException {
            return ranResult;
        }
    }

    private record PendingWrite<T>(Task<T> task, CompletableFuture<T> future, long submittedNanos) {
    }

    private static final int MAX_ATTEMPTS = 5;
    /** SQLite page cache of the writer connection (64 MiB; SQLite allocates it as pages are read). */
    private static final int WRITER_CACHE_KIBIBYTES = 65_536;
    /**
     * Write-ahead log frames after which the writer's own commit checkpoints: 64 MiB of 4 KiB pages, a
     * backstop only; {@link SqliteCheckpointer} keeps the log far below it.
     */
    static final int WRITER_AUTOCHECKPOINT_PAGES = 16_384;

    private final DataSource dataSource;
    private final SqlDialect dialect;
    private final ArrayBlockingQueue<PendingWrite<?>> queue;
    private final int maxBatch;
    private final SequenceAllocator sequences;
    private final ConversationPartners partners;
    private final PackedInbox packedInbox;
    private final DeviceStateCache deviceStates;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean healthy = true;
    private volatile boolean checkpointRequested;
    /** Whether the last check of the inbox tail failed (writer thread), so a failing store logs it once. */
    private boolean reloadFailing;
    /** Transactions committed so far; written by the writer thread only. */
    private volatile long commits;

    /**
     * @param packedInbox  the embedded store's inbox, null for a database with an {@code inbox} table
     * @param deviceStates told about every commit's seqs and cursors, or null (several writers)
     */
    JdbcWriter(DataSource dataSource, SqlDialect dialect, int queueCapacity, int maxBatch, PackedInbox packedInbox,
               DeviceStateCache deviceStates) {
        this.dataSource = dataSource;
        this.dialect = dialect;
        this.packedInbox = packedInbox;
        this.deviceStates = deviceStates;
        this.sequences = new SequenceAllocator(dialect);
        this.partners = new ConversationPartners(dialect);
        this.queue = new ArrayBlockingQueue<>(queueCapacity);
        this.maxBatch = maxBatch;
        this.thread = new Thread(this::loop, "store-writer");
        this.thread.setDaemon(false);
        this.thread.start();
    }

    /**
     * Writes waiting for the writer (not counting the batch being committed); at {@code writeQueueCapacity}
     * further writes fail with {@code store_busy}. Takes the queue's lock: for scrapes, not for hot paths.
     */
    int queuedWrites() {
        return queue.size();
    }

    /** Queues a write; never blocks. The future completes on the writer thread after commit. */
    <T> CompletableFuture<T> submit(Task<T> task) {
        CompletableFuture<T> future = new CompletableFuture<>();
        PendingWrite<T> write = new PendingWrite<>(task, future, System.nanoTime());
        if (!running) {
            future.completeExceptionally(new StoreException("store is closed", null));
        } else if (!queue.offer(write)) {
            future.completeExceptionally(new StoreBusyException("store write queue is full"));
        } else if (!running && queue.remove(write)) {
            // close() raced with this submit and the writer may already have left its loop.
            future.completeExceptionally(new StoreException("store is closed", null));
        }
        return future;
    }

    /**
     * Asks the writer to run a checkpoint on its own connection the next time its queue is empty (SQLite;
     * see {@link SqliteCheckpointer}). Never blocks.
     */
    void requestCheckpoint() {
        checkpointRequested = true;
    }

    boolean isHealthy() {
        return healthy && running && thread.isAlive();
    }

    /** How many transactions the writer has committed since it started (never decreases). */
    long commits() {
        return commits;
    }

    private void loop() {
        List<PendingWrite<?>> batch = new ArrayList<>(maxBatch);
        WriteContext context = null;
        while (running || !queue.isEmpty()) {
            try {
                PendingWrite<?> first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    context = reloadInboxIfNeeded(context);
                    finishRequestedCheckpoint(context);
                    continue;
                }
                batch.add(first);
                queue.drainTo(batch, maxBatch - 1);
                if (context == null) {
                    context = openContext();
                }
                long startNanos = System.nanoTime();
                Exception failure = tryCommit(context, batch);
                tellBatchFinished(startNanos - first.submittedNanos(), System.nanoTime() - startNanos, failure == null);
                if (failure != null) {
                    failOrIsolate(context, batch, failure);
                    if (!context.isUsable()) {
                        context.closeQuietly();
                        context = null;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (Throwable e) {
                // Whatever happens, the writer thread survives and no caller waits forever.
                healthy = false;
                log.atError().setMessage("store writer failed").setCause(e).log();
                failAll(batch, e);
                if (context != null) {
                    context.closeQuietly();
                    context = null;
                }
            } finally {
                batch.clear();
            }
            if (queue.isEmpty()) {
                finishRequestedCheckpoint(context);
            }
        }
        if (context != null) {
            context.closeQuietly();
        }
        List<PendingWrite<?>> abandoned = new ArrayList<>();
        queue.drainTo(abandoned);
        failAll(abandoned, new IllegalStateException("store is closed"));
    }

    /** Tells the observer; its failure must not fail the batch's writes nor skip a failed batch's retries. */
    private void tellBatchFinished(long queuedNanos, long nanos, boolean committed) {
        try {
            observer.batchFinished(queuedNanos, nanos, committed);
        } catch (RuntimeException e) {
            log.atWarn().setMessage("write observer failed").addKeyValue("error", e.toString()).log();
        }
    }

    /**
     * While no write is waiting, checks the embedded inbox's tail against the log after a failed
     * commit, so that readers waiting for a commit that took effect do not wait for the next write.
     * Returns the context, opened if needed, or null if it cannot be.
     */
    private WriteContext reloadInboxIfNeeded(WriteContext context) {
        if (packedInbox == null || !packedInbox.isReloadNeeded()) {
            return context;
        }
        WriteContext open = context;
        try {
            if (open == null) {
                open = openContext();
            }
            packedInbox.reloadIfNeeded(open);
            open.connection().rollback(); // it only read
            reloadFailing = false;
            return open;
        } catch (SQLException e) {
            if (!reloadFailing) { // once per streak: this runs every 100 ms while the store is down
                log.atWarn().setMessage("inbox tail check failed, retried until it succeeds").addKeyValue("error", e.toString()).log();
            }
            reloadFailing = true;
            if (open == null) {
                return null;
            }
            try {
                open.connection().rollback();
            } catch (SQLException ignored) {
                // the usability check below decides
            }
            if (!open.isUsable()) {
                open.closeQuietly();
                return null;
            }
            return open;
        }
    }

    /**
     * Runs a requested checkpoint while no write is waiting. With no other writer it reaches the end of
     * the log, so it fsyncs the database file and the log restarts at the next commit. Outside the
     * transaction the connection otherwise keeps open; a failure is left to the next request.
     */
    private void finishRequestedCheckpoint(WriteContext context) {
        if (!checkpointRequested || context == null) {
            return;
        }
        checkpointRequested = false;
        Connection connection = context.connection();
        try {
            connection.setAutoCommit(true);
            try (java.sql.Statement statement = connection.createStatement()) {
                statement.execute("PRAGMA wal_checkpoint(PASSIVE)");
            } finally {
                connection.setAutoCommit(false);
            }
        } catch (SQLException e) {
            log.atDebug().setMessage("writer checkpoint failed").addKeyValue("error", e.toString()).log();
        }
    }

    private WriteContext openContext() throws SQLException {
        Connection connection = dataSource.getConnection();
        try {
            return newContext(connection);
        } catch (SQLException | RuntimeException e) {
            connection.close(); // back to the pool, which discards a connection it cannot reset
            throw e;
        }
    }

    private WriteContext newContext(Connection connection) throws SQLException {
        if (dialect == SqlDialect.SQLITE) {
            // The writer touches the B-tree pages of every table and index on each batch; at SQLite's
            // default 2 MB cache a grown database is re-read from the file all the time.
            // SQLite's automatic checkpoint (default: after 1,000 log frames) would run inside a commit
            // on this thread, copying pages into the database file and fsyncing it: measured at 1,000
            // messages/s it fired about twice a second at 2 ms of fsync each, holding up the messages
            // queued behind it: a large part of the durable-latency p99. The background checkpointer copies
            // them instead; the writer checkpoints only if that one falls far behind.
            try (java.sql.Statement pragma = connection.createStatement()) {
                pragma.execute("PRAGMA cache_size = -" + WRITER_CACHE_KIBIBYTES);
                pragma.execute("PRAGMA wal_autocheckpoint = " + WRITER_AUTOCHECKPOINT_PAGES);
            }
        }
        connection.setAutoCommit(false);
        return new WriteContext(connection, dialect, sequences, partners, packedInbox, deviceStates);
    }

    /**
     * Runs and commits one batch and completes its futures; on failure returns the cause and leaves
     * the futures alone. A transient failure (lock conflict with another node) rolls back and runs the
     * whole batch again: tasks only read their request and the database, so a second run is a clean
     * redo.
     */
    private Exception tryCommit(WriteContext context, List<PendingWrite<?>> batch) {
        Object[] results = new Object[batch.size()];
        RuntimeException[] rejections = new RuntimeException[batch.size()];
        long committedNanos;
        for (int attempt = 1; ; attempt++) {
            try {
                context.beginAttempt();
                for (int i = 0; i < batch.size(); i++) {
                    rejections[i] = null;
                    try {
                        batch.get(i).task().prepare(context);
                    } catch (RequestRejectedException e) {
                        rejections[i] = e;
                    }
                }
                context.afterPrepare();
                for (int i = 0; i < batch.size(); i++) {
                    if (rejections[i] != null) {
                        continue;
                    }
                    try {
                        results[i] = batch.get(i).task().run(context);
                    } catch (RequestRejectedException e) {
                        rejections[i] = e;
                    }
                }
                context.flushQueued();
                for (int i = 0; i < batch.size(); i++) {
                    if (rejections[i] == null) {
                        results[i] = result(batch.get(i).task(), results[i]);
                    }
                }
                context.beforeCommit();
                context.connection().commit();
                committedNanos = System.nanoTime();
                commits++; // the only writer of the field: volatile for readers, no atomic needed
                context.afterCommit();
                healthy = true;
                break;
            } catch (SQLException e) {
                context.afterRollback();
                if (attempt < MAX_ATTEMPTS && dialect.isTransient(e)) {
                    log.atDebug().setMessage("store batch conflicted, retrying").addKeyValue("attempt", attempt)
                            .addKeyValue("error", e.toString()).log();
                    continue;
                }
                return e;
            } catch (RuntimeException e) {
                context.afterRollback();
                return e;
            }
        }
        for (int i = 0; i < batch.size(); i++) {
            complete(batch.get(i), results[i], rejections[i]);
        }
        tellWritesCommitted(batch, rejections, committedNanos);
        return null;
    }

    /** Tells the observer each write the commit stored; its failure must not fail writes that are stored. */
    private void tellWritesCommitted(List<PendingWrite<?>> batch, RuntimeException[] rejections, long committedNanos) {
        try {
            WriteObserver told = observer;
            for (int i = 0; i < batch.size(); i++) {
                if (rejections[i] == null) {
                    told.writeCommitted(committedNanos - batch.get(i).submittedNanos());
                }
            }
        } catch (RuntimeException e) {
            log.atWarn().setMessage("write observer failed").addKeyValue("error", e.toString()).log();
        }
    }

    /**
     * A batch failed. If the connection still works, its writes are retried one per transaction, so
     * one poisonous request (text the database refuses) fails alone instead of taking every other
     * user's write with it; otherwise all fail.
     */
    private void failOrIsolate(WriteContext context, List<PendingWrite<?>> batch, Exception failure) {
        if (batch.size() > 1 && context.isUsable()) {
            log.atWarn().setMessage("store batch failed, retrying its writes one by one")
                    .addKeyValue("writes", batch.size()).addKeyValue("error", failure.toString()).log();
            for (PendingWrite<?> write : batch) {
                Exception single = tryCommit(context, List.of(write));
                if (single != null) {
                    // One write the database refuses says nothing about the store's health.
                    log.atWarn().setMessage("store refused one write").addKeyValue("error", single.toString()).log();
                    failAll(List.of(write), single);
                }
            }
        } else {
            failBatch(batch, failure);
        }
    }

    private void failBatch(List<PendingWrite<?>> batch, Exception cause) {
        healthy = false;
        log.atError().setMessage("store write failed, rolled back").addKeyValue("writes", batch.size())
                .setCause(cause).log();
        failAll(batch, cause);
    }

    @SuppressWarnings("unchecked")
    private static <T> Object result(Task<T> task, Object ranResult) throws SQLException {
        return task.result((T) ranResult);
    }

    @SuppressWarnings("unchecked")
    private static <T> void complete(PendingWrite<T> write, Object result, RuntimeException rejection) {
        if (rejection != null) {
            write.future().completeExceptionally(rejection);
        } else {
            write.future().complete((T) result);
        }
    }

    private void failAll(List<PendingWrite<?>> batch, Throwable cause) {
        sequences.forgetCached();
        partners.rollback(); // an Error skips afterRollback: the failed batch's pairs must not reach the next commit
        if (packedInbox != null) {
            packedInbox.forgetAfterFailure();
        }
        if (deviceStates != null) {
            deviceStates.clear(); // an Error skips afterRollback too
        }
        for (PendingWrite<?> write : batch) {
            write.future().completeExceptionally(new StoreException("store write failed: " + cause.getMessage(), cause));
        }
    }

    /** Stops accepting writes, commits everything already queued, and waits for the thread. */
    @Override
    public void close() {
        running = false;
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
