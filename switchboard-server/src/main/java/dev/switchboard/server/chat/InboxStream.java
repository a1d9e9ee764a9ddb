package dev.switchboard.server.chat;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.store.InboxEntry;
import dev.switchboard.server.store.InboxPage;
import dev.switchboard.server.store.MessageStore;
import io.netty.channel.ChannelFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one user's inbox to one connection: in seq order, without gaps, without repeats, across
 * replay and live traffic. Confined to the connection's event loop.
 *
 * <p>The rule that makes it simple: the stream remembers {@code sentSeq}, the highest seq written
 * to this connection. A live entry is written only if it is exactly {@code sentSeq + 1}; anything
 * else (a resume, a gap because two messages raced on their way here, live traffic during replay)
 * switches to catching up, which reads {@code seq > sentSeq} from the store — where every entry is
 * before anyone hears of it — until it has reached the newest entry, then goes live again.
 *
 * @implNote Replay is paced by the socket: the next page is read only when the previous page's
 * last write has been flushed, so a long backlog never piles up in the outbound buffer.
 */
public final class InboxStream {
    private static final Logger log = LoggerFactory.getLogger(InboxStream.class);
    private static final long RETRY_MILLIS = 500;

    private enum State { WAITING_FOR_RESUME, CATCHING_UP, LIVE }

    private final Connection connection;
    private final MessageStore store;
    private final int pageSize;
    private State state = State.WAITING_FOR_RESUME;
    private long sentSeq;
    private long highestLiveSeq;
    /** The inbox's newest seq as far as this stream knows (the welcome's, then pages and live entries). */
    private long newestKnown;
    private int generation;
    private boolean readInFlight;
    private boolean syncedPending;
    private long storedCursor;
    private long pendingCursor;
    private boolean cursorWriteInFlight;
    private boolean rereadRequested;

    /**
     * @param storedCursor the device's acknowledged seq, as the welcome gave it
     * @param lastSeq      the user's newest seq, as the welcome gave it
     */
    public InboxStream(Connection connection, MessageStore store, int pageSize, long storedCursor, long lastSeq) {
        this.connection = connection;
        this.store = store;
        this.pageSize = pageSize;
        this.storedCursor = storedCursor;
        this.pendingCursor = storedCursor;
        this.newestKnown = lastSeq;
    }

    /** The device's acknowledged position as last stored (or being stored). */
    public long cursor() {
        return pendingCursor;
    }

    /** Highest seq written to this connection. */
    public long sentSeq() {
        return sentSeq;
    }

    /** (Re)starts delivery after {@code afterSeq}: replay from the store, then live. */
    public void resume(long afterSeq) {
        sentSeq = afterSeq;
        generation++;
        syncedPending = true;
        state = State.CATCHING_UP;
        readNextPage();
    }

    /**
     * Re-reads the store after {@code sentSeq} although no gap was seen: live delivery may have
     * been lost (another node's envelopes while the broker was disconnected).
     */
    public void catchUp() {
        if (!connection.isOpen() || state == State.WAITING_FOR_RESUME) {
            return;
        }
        if (state == State.CATCHING_UP) {
            rereadRequested = true; // a read in flight may predate what we must not miss
            return;
        }
        state = State.CATCHING_UP;
        readNextPage();
    }

    /** A live inbox entry that was just stored. Returns whether it was written now (not replayed later). */
    public boolean onLive(long seq, byte[] payload) {
        highestLiveSeq = Math.max(highestLiveSeq, seq);
        newestKnown = Math.max(newestKnown, seq);
        if (state != State.LIVE || seq <= sentSeq || !connection.isOpen()) {
            return false;
        }
        if (seq != sentSeq + 1) {
            state = State.CATCHING_UP;
            readNextPage();
            return false;
        }
        if (!connection.isWritable()) {
            connection.closeSlowConsumer();
            return false;
        }
        connection.write(OutboundMessages.message(seq, payload));
        sentSeq = seq;
        return true;
    }

    private void readNextPage() {
        if (readInFlight) {
            return;
        }
        readInFlight = true;
        int readGeneration = generation;
        store.readInbox(connection.userId(), sentSeq, pageSize)
                .whenCompleteAsync((page, error) -> onPage(readGeneration, page, error), connection.eventLoop());
    }

    private void onPage(int readGeneration, InboxPage page, Throwable error) {
        try {
            handlePage(readGeneration, page, error);
        } catch (RuntimeException e) {
            // Never leave the stream stuck in CATCHING_UP with no read scheduled.
            log.atError().setMessage("inbox replay failed, closing connection").addKeyValue("connectionId", connection.connectionId())
                    .addKeyValue("userId", connection.userId()).setCause(e).log();
            connection.close(CloseCodes.INTERNAL_ERROR, "internal error");
        }
    }

    private void handlePage(int readGeneration, InboxPage page, Throwable error) {
        readInFlight = false;
        if (!connection.isOpen()) {
            return;
        }
        if (readGeneration != generation) {
            readNextPage();
            return;
        }
        if (error != null) {
            log.atWarn().setMessage("inbox read failed, retrying").addKeyValue("connectionId", connection.connectionId())
                    .addKeyValue("userId", connection.userId()).setCause(error).log();
            connection.eventLoop().schedule(this::readNextPage, RETRY_MILLIS, TimeUnit.MILLISECONDS);
            return;
        }
        newestKnown = Math.max(newestKnown, page.lastSeq());
        ChannelFuture lastWrite = null;
        if (!page.entries().isEmpty()) {
            for (InboxEntry entry : page.entries()) {
                if (entry.seq() > sentSeq + 1) {
                    // Expired by retention (anywhere in the page): announced, never silently skipped.
                    connection.write(OutboundMessages.truncated(sentSeq, entry.seq()));
                }
                lastWrite = connection.write(OutboundMessages.message(entry.seq(), OutboundMessages.messagePayload(entry.message())));
                sentSeq = entry.seq();
            }
            connection.metrics().messagesOut(ServerMetrics.Kind.CHAT, page.entries().size());
        } else if (page.lastSeq() > sentSeq) {
            connection.write(OutboundMessages.truncated(sentSeq, page.lastSeq() + 1));
            sentSeq = page.lastSeq();
        } else if (page.lastSeq() < sentSeq) {
            // Resumed after a seq this inbox never reached (its store was reset or restored from a
            // backup): the next messages take seqs up to afterSeq again, and live delivery drops every
            // seq <= sentSeq. Stream from the newest seq instead; synced tells the client where that is.
            sentSeq = page.lastSeq();
        }
        if (page.entries().size() == pageSize) {
            int pacedGeneration = generation;
            lastWrite.addListener(written -> {
                if (written.isSuccess() && pacedGeneration == generation && state == State.CATCHING_UP) {
                    readNextPage();
                }
            });
        } else if (highestLiveSeq > sentSeq || rereadRequested) {
            rereadRequested = false;
            readNextPage();
        } else {
            state = State.LIVE;
            if (syncedPending) {
                syncedPending = false;
                connection.write(OutboundMessages.synced(sentSeq));
            }
        }
    }

    /**
     * Cumulative acknowledgement; clamped to what this connection was actually sent. Ignored while the
     * position is past the inbox's newest seq known: right after a {@code resume} past it (a client
     * that kept its position across a store reset), until the first page pulls {@code sentSeq} back, no
     * seq the client could acknowledge has been sent on this connection.
     */
    public void acknowledge(long seq) {
        if (sentSeq > newestKnown) {
            return;
        }
        long clamped = Math.min(seq, sentSeq);
        if (clamped <= pendingCursor) {
            return;
        }
        pendingCursor = clamped;
        writeCursor();
    }

    /** One cursor write in flight at a time; acks arriving meanwhile coalesce into the next write. */
    private void writeCursor() {
        if (cursorWriteInFlight || pendingCursor <= storedCursor) {
            return;
        }
        cursorWriteInFlight = true;
        long writing = pendingCursor;
        store.advanceCursor(connection.userId(), connection.deviceId(), writing)
                .whenCompleteAsync((ignored, error) -> {
                    cursorWriteInFlight = false;
                    if (error == null) {
                        storedCursor = writing;
                        writeCursor();
                    } else if (connection.isOpen()) {
                        log.atWarn().setMessage("cursor write failed, retrying").addKeyValue("connectionId", connection.connectionId())
                                .addKeyValue("userId", connection.userId()).addKeyValue("error", error.toString()).log();
                        connection.eventLoop().schedule(this::writeCursor, RETRY_MILLIS, TimeUnit.MILLISECONDS);
                    }
                }, connection.eventLoop());
    }
}
