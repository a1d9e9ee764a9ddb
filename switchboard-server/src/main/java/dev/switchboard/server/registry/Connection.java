package dev.switchboard.server.registry;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.chat.OutboundMessages;
import dev.switchboard.server.chat.InboxStream;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.topic.TopicSubscription;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.EventLoop;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One live WebSocket session of one device of one user. Thread-safe: writes may come from any
 * thread (Netty queues them on the channel's event loop); the {@link InboxStream} is confined to
 * that event loop.
 *
 * @implNote Outbound bound: the channel's write-buffer high-water mark is the configured
 * per-connection queue size. A live message for a channel that is not writable means the client
 * reads slower than we produce; it is closed with 4008 instead of buffering without limit, and it
 * catches up from the store after reconnecting. Nothing is held per connection while idle but this
 * object, the channel and its pipeline.
 */
public final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);
    private static final AtomicIntegerFieldUpdater<Connection> STATE =
            AtomicIntegerFieldUpdater.newUpdater(Connection.class, "state");
    /** State bit: a close has begun. */
    private static final int CLOSING = 1;
    /** State bit, set once at construction: the connection negotiated an extension (permessage-deflate). */
    private static final int HAS_EXTENSIONS = 2;

    /** The id is {@code ids.format(number)}, made when asked for: an idle connection keeps 8 bytes, not a string. */
    private final ConnectionIds ids;
    private final long number;
    private final Principal principal;
    private final Channel channel;
    private final ServerMetrics metrics;
    private final long openedAtMillis = System.currentTimeMillis();
    /**
     * Bit flags ({@link #CLOSING}, {@link #HAS_EXTENSIONS}) in one int with a field updater: an
     * AtomicBoolean would cost an idle connection an object, another field 8 bytes.
     */
    private volatile int state;
    private InboxStream inbox;
    private Map<String, TopicSubscription> topicSubscriptions;

    /**
     * A connection with the next id of {@code ids}.
     *
     * @param hasExtensions the upgrade negotiated an extension (permessage-deflate), whose encoder must
     *                      see every frame: then text goes out as {@code TextWebSocketFrame}s, else as
     *                      bytes framed here
     */
    public Connection(ConnectionIds ids, Principal principal, Channel channel, ServerMetrics metrics, boolean hasExtensions) {
        this.ids = ids;
        this.number = ids.next();
        this.principal = principal;
        this.channel = channel;
        this.metrics = metrics;
        this.state = hasExtensions ? HAS_EXTENSIONS : 0;
    }

    public String connectionId() {
        return ids.format(number);
    }

    public String userId() {
        return principal.userId();
    }

    public String deviceId() {
        return principal.deviceId();
    }

    public Principal principal() {
        return principal;
    }

    /** When this connection was opened (ms since the epoch). */
    public long openedAtMillis() {
        return openedAtMillis;
    }

    public ServerMetrics metrics() {
        return metrics;
    }

    public Channel channel() {
        return channel;
    }

    public EventLoop eventLoop() {
        return channel.eventLoop();
    }

    /** Set once, on the event loop, before the connection is registered. */
    public void attachInbox(InboxStream inbox) {
        this.inbox = inbox;
    }

    public InboxStream inbox() {
        return inbox;
    }

    /** This connection's topic subscriptions by topic; created on first use. Event loop only. */
    public Map<String, TopicSubscription> topicSubscriptions() {
        if (topicSubscriptions == null) {
            topicSubscriptions = new HashMap<>(4);
        }
        return topicSubscriptions;
    }

    /** The topic subscriptions, or null when there never were any. Event loop only. */
    public Map<String, TopicSubscription> topicSubscriptionsIfAny() {
        return topicSubscriptions;
    }

    /**
     * Hands a freshly stored inbox entry to this connection; returns at once (see InboxStream#onLive).
     *
     * @param committedAtNanos {@link System#nanoTime()} when the store committed it, for the delivery
     *                         latency metric; 0 when unknown
     */
    public void deliverLive(long seq, byte[] messagePayload, long committedAtNanos) {
        EventLoop loop = channel.eventLoop();
        if (loop.inEventLoop()) {
            deliverOnLoop(seq, messagePayload, committedAtNanos);
        } else {
            loop.execute(() -> deliverOnLoop(seq, messagePayload, committedAtNanos));
        }
    }

    private void deliverOnLoop(long seq, byte[] messagePayload, long committedAtNanos) {
        if (inbox.onLive(seq, messagePayload)) {
            metrics.messagesOut(ServerMetrics.Kind.CHAT, 1);
            if (committedAtNanos != 0) {
                metrics.delivered(System.nanoTime() - committedAtNanos);
            }
        }
    }

    /**
     * Writes a frame shared with other connections ({@code frame} is never modified), or closes this
     * connection as a slow consumer when its outbound buffer is over its bound. Event loop only.
     *
     * @return whether it was written
     */
    public boolean writeShared(byte[] frame) {
        return writeShared(frame, null);
    }

    /**
     * {@link #writeShared(byte[])}, given also {@code frame} already framed by {@link EncodedTextFrame}
     * (or null): a connection without extensions is written a duplicate of those bytes (it has no frame
     * encoder: the endpoint handler passes bytes on as they are), instead of a frame of its own (framed here when null).
     * {@code encodedFrame} is neither modified nor released. Event loop only.
     */
    public boolean writeShared(byte[] frame, ByteBuf encodedFrame) {
        if (!channel.isWritable()) {
            closeSlowConsumer();
            return false;
        }
        Object message;
        if (hasExtensions()) {
            message = new TextWebSocketFrame(Unpooled.wrappedBuffer(frame));
        } else {
            message = encodedFrame != null ? encodedFrame.retainedDuplicate() : EncodedTextFrame.encode(channel.alloc(), frame);
        }
        channel.writeAndFlush(message, channel.voidPromise());
        return true;
    }

    private boolean hasExtensions() {
        return (state & HAS_EXTENSIONS) != 0;
    }

    /** Closes with 4008: the client reads slower than it is sent to. Counted and logged once. */
    public void closeSlowConsumer() {
        if (isClosing()) {
            return;
        }
        log.atWarn().setMessage("slow consumer disconnected").addKeyValue("connectionId", connectionId())
                .addKeyValue("userId", userId()).log();
        metrics.slowConsumerClosed(connectionId(), userId());
        close(CloseCodes.SLOW_CONSUMER, "slow consumer");
    }

    /** Makes the inbox stream re-read the store (see InboxStream#catchUp); returns at once. */
    public void catchUp() {
        channel.eventLoop().execute(() -> {
            if (inbox != null) {
                inbox.catchUp();
            }
        });
    }

    /**
     * Writes one JSON text message. Takes ownership of {@code json}.
     *
     * @return the write's future, so callers can pace themselves on it
     * @implNote A connection without extensions is written the frame's bytes, framed here into one
     * buffer ({@link EncodedTextFrame}), which the endpoint handler passes on as it is (such a connection has
     * no frame encoder): Netty's encoder would allocate the same buffer and copy the same bytes, and cost
     * a frame object and its own pass on top (together with the composite buffers below, about a tenth of the event loop under durable
     * load; bench/analysis.md). A connection with permessage-deflate goes through its encoders.
     */
    public ChannelFuture write(ByteBuf json) {
        if (hasExtensions()) {
            return channel.writeAndFlush(new TextWebSocketFrame(json));
        }
        ByteBuf frame;
        try {
            frame = EncodedTextFrame.encode(channel.alloc(), json);
        } finally {
            json.release();
        }
        return channel.writeAndFlush(frame);
    }

    /**
     * Writes one JSON text message made of {@code utf8Parts} in order, which are neither modified nor
     * kept (they may be shared with other connections).
     *
     * @return the write's future
     * @implNote Copied straight into the frame's buffer on a connection without extensions, instead
     * of being wrapped in a composite buffer that a frame encoder would then copy from.
     */
    public ChannelFuture write(byte[]... utf8Parts) {
        if (hasExtensions()) {
            return channel.writeAndFlush(new TextWebSocketFrame(Unpooled.wrappedBuffer(utf8Parts)));
        }
        return channel.writeAndFlush(EncodedTextFrame.encode(channel.alloc(), utf8Parts));
    }

    /**
     * Writes the reply to a request, unless the client has stopped reading: a connection whose
     * outbound buffer is over its bound is closed as a slow consumer (4008) instead, so requests
     * (pings included) can never pile up replies without limit. Takes ownership of {@code json}.
     */
    public void reply(ByteBuf json) {
        if (channel.isWritable()) {
            write(json);
            return;
        }
        json.release();
        closeSlowConsumer();
    }

    /** Bytes waiting in the outbound buffer (for the queue-depth metric). */
    public long pendingOutboundBytes() {
        var buffer = channel.unsafe().outboundBuffer();
        return buffer == null ? 0 : buffer.totalPendingWriteBytes();
    }

    /** True while the outbound buffer is under its high-water mark. */
    public boolean isWritable() {
        return channel.isWritable();
    }

    private boolean isClosing() {
        return (state & CLOSING) != 0;
    }

    public boolean isOpen() {
        return channel.isActive() && !isClosing();
    }

    /**
     * Starts the close handshake with {@code code} and closes the TCP connection once the close
     * frame is written (or after a short grace period if the client does not read). Idempotent.
     */
    public void close(int code, String reason) {
        int current;
        do {
            current = state;
            if ((current & CLOSING) != 0) {
                return;
            }
        } while (!STATE.compareAndSet(this, current, current | CLOSING));
        log.atDebug().setMessage("closing connection").addKeyValue("connectionId", connectionId())
                .addKeyValue("userId", userId()).addKeyValue("code", code).addKeyValue("reason", reason).log();
        // Closed once the frame is out, or by the endpoint handler's deadline if the client does not read it.
        channel.writeAndFlush(CloseFrames.of(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    /** Tells the client why ({@code kicked}), then closes with the terminal code 4003. */
    public void kick(String reason) {
        end(reason, false);
    }

    /** Tells the client why ({@code kicked}), then closes with the terminal code 4004 (banned). */
    public void ban(String reason) {
        end(reason, true);
    }

    private void end(String reason, boolean banned) {
        if (isClosing()) {
            return;
        }
        metrics.kicked(connectionId(), userId(), reason, banned);
        write(OutboundMessages.kicked(reason));
        close(banned ? CloseCodes.BANNED : CloseCodes.KICKED, reason);
    }

    @Override
    public String toString() {
        return "Connection[" + connectionId() + " " + userId() + "/" + deviceId() + "]";
    }
}
