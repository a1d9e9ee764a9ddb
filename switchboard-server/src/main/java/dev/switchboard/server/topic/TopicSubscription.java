package dev.switchboard.server.topic;

import dev.switchboard.server.registry.Connection;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;

/**
 * One connection's subscription to one topic. Confined to the connection's event loop.
 *
 * <p>While the subscription is being set up (the node subscribing, the history being read) live
 * publications are held back in a bounded buffer; {@link #goLive} then writes the recovered ones and
 * the held-back ones, skipping any offset already written, so the client sees each offset once and
 * in order from the position it was told.
 */
public final class TopicSubscription {
    /** Publications held back while recovering; more than this and the oldest are dropped (the client sees the jump). */
    static final int MAX_PENDING = 1024;

    private final Connection connection;
    private final String topic;
    private List<Publication> pending = new ArrayList<>();
    private String epoch;
    private long offset;
    private boolean cancelled;
    private boolean overflowed;

    public TopicSubscription(Connection connection, String topic) {
        this.connection = connection;
        this.topic = topic;
    }

    public Connection connection() {
        return connection;
    }

    public String topic() {
        return topic;
    }

    public boolean isCancelled() {
        return cancelled;
    }

    /** True when publications held back during set-up were dropped: a recovery cannot be complete. */
    public boolean overflowed() {
        return overflowed;
    }

    void cancel() {
        cancelled = true;
        pending = null;
    }

    /**
     * A live publication (on the event loop), with its frame already encoded ({@link dev.switchboard.server.registry.EncodedTextFrame},
     * or null; not released here). Returns whether it was written.
     */
    boolean deliver(Publication publication, ByteBuf encodedFrame) {
        if (cancelled || !connection.isOpen()) {
            return false;
        }
        if (pending != null) {
            if (pending.size() == MAX_PENDING) {
                pending.remove(0);
                overflowed = true;
            }
            pending.add(publication);
            return false;
        }
        return write(publication, encodedFrame);
    }

    private boolean write(Publication publication, ByteBuf encodedFrame) {
        if (publication.epoch().equals(epoch) && publication.offset() <= offset) {
            return false; // already written (recovered and then live, or delivered twice)
        }
        epoch = publication.epoch();
        offset = publication.offset();
        return connection.writeShared(publication.frame(), encodedFrame);
    }

    /**
     * Ends set-up: the client holds everything up to {@code after}; writes {@code recovered} (which
     * follow it), then whatever arrived meanwhile, and delivers live from then on.
     *
     * @return the number of publications written
     */
    public int goLive(StreamPosition after, List<Publication> recovered) {
        if (cancelled) {
            return 0;
        }
        epoch = after.epoch();
        offset = after.offset();
        List<Publication> held = pending;
        pending = null;
        int written = 0;
        for (Publication publication : recovered) {
            written += write(publication, null) ? 1 : 0;
        }
        for (Publication publication : held) {
            written += write(publication, null) ? 1 : 0;
        }
        return written;
    }
}
