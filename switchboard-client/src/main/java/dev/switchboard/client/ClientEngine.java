package dev.switchboard.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.MessageType;
import io.netty.channel.EventLoop;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The connection life cycle of one client (docs/PROTOCOL.md sections 4 and 9): connect, {@code welcome}
 * (resume, resend, state CONNECTED, subscribe the topics again), and after every lost connection the
 * decision between reconnecting with backoff, retrying once with a fresh token, and stopping for good
 * (close code 4003 or 4004, refused authentication, {@link #close()}).
 *
 * <p>Confined to one event loop: {@link SwitchboardClient} hops onto it for every call, and every
 * channel of this client is registered on it, so no field here needs a lock. Fields read by other
 * threads through the facade are volatile.
 */
final class ClientEngine implements Connector.Events {
    private static final Logger log = LoggerFactory.getLogger(ClientEngine.class);
    /** How long a clean close waits for the server to answer the close frame before dropping the TCP connection. */
    private static final long CLOSE_GRACE_MILLIS = 1000;
    private static final int MAX_BACKOFF_EXPONENT = 30;

    private final ClientConfig config;
    private final ClientListener listener;
    private final EventLoop eventLoop;
    private final Connector connector;
    /** The configured backoff: send and subscribe retries, and reconnects unless the server advertises its own. */
    private final Backoff backoff;
    private final StatsCounters stats = new StatsCounters();
    private final InboxSequencer sequencer;
    private final AckTracker acks;
    private final OutboundMessages outbound;
    private final TopicSubscriptions topics;
    private final InboundDispatcher inbound;
    private final FileUploads uploads;
    private final CompletableFuture<Void> connected = new CompletableFuture<>();
    private final CompletableFuture<Void> closed = new CompletableFuture<>();

    private volatile ConnectionState state = ConnectionState.IDLE;
    private volatile String userId;
    private volatile String deviceId;
    private Connection current;
    private int attempts;
    private int backoffExponent;
    /** The backoff of the next reconnect: the one the last {@code welcome} advertised, else {@link #backoff}. */
    private Backoff reconnectBackoff;
    private int authFailuresInRow;
    private boolean stopping;
    private String kickedReason;
    private ScheduledFuture<?> reconnectTimer;

    /** @param refs the client's request refs, for the requests the engine makes itself (uploads) */
    ClientEngine(ClientConfig config, ClientListener listener, EventLoop eventLoop, Supplier<String> refs) {
        this.config = config;
        this.listener = new SafeListener(listener);
        this.eventLoop = eventLoop;
        this.connector = new Connector(config, eventLoop);
        this.backoff = new Backoff(config.backoffBase(), config.backoffMax());
        this.reconnectBackoff = backoff;
        this.sequencer = new InboxSequencer(config.initialAfterSeq());
        this.acks = new AckTracker(eventLoop, config.ackDelay(), config.ackBatch());
        this.outbound = new OutboundMessages(config.maxPendingSends(), stats, backoff, eventLoop);
        this.topics = new TopicSubscriptions(this.listener, stats, outbound, backoff, eventLoop);
        this.inbound = new InboundDispatcher(sequencer, acks, outbound, topics, this.listener, stats);
        this.uploads = new FileUploads(outbound, backoff, eventLoop, refs);
    }

    /** Starts the first connection attempt; does nothing unless the client is IDLE. */
    void connect() {
        if (state != ConnectionState.IDLE) {
            return;
        }
        changeState(ConnectionState.CONNECTING);
        openConnection();
    }

    /** Queues a send, or fails it when the client is closed. */
    void submitSend(PendingSend send) {
        if (stopping) {
            send.future().completeExceptionally(new SwitchboardException("client is closed"));
            return;
        }
        outbound.submitSend(send);
    }

    /** Sends a request when CONNECTED, or fails it at once. */
    void submitRequest(String ref, String frameText, CompletableFuture<JsonNode> future) {
        if (state != ConnectionState.CONNECTED) {
            future.completeExceptionally(new SwitchboardException("not connected (state " + state + ")"));
            return;
        }
        outbound.submitRequest(ref, frameText, future);
    }

    /** Starts an upload, or fails it when the client is closed; see {@link FileUploads#start}. */
    void upload(UploadSource source, String name, String contentType, CompletableFuture<FileInfo> result) {
        uploads.start(source, name, contentType, result);
    }

    /** Adds a topic subscription, or fails it when the client is closed; see {@link TopicSubscriptions#subscribe}. */
    void subscribe(String topic, TopicPosition since, CompletableFuture<JsonNode> future) {
        if (stopping) {
            future.completeExceptionally(new SwitchboardException("client is closed"));
            return;
        }
        topics.subscribe(topic, since, future);
    }

    /** Removes a topic subscription; see {@link TopicSubscriptions#unsubscribe}. */
    void unsubscribe(String topic, CompletableFuture<JsonNode> future) {
        topics.unsubscribe(topic, future);
    }

    /** Sends {@code resume {afterSeq}} on the live connection; ignored while not connected. */
    void resume(long afterSeq) {
        if (current != null && current.isReady()) {
            current.write(Wire.resume(afterSeq));
        }
    }

    /**
     * Closes for good: fails pending sends and requests, sends a close frame (1000) after a final ack.
     *
     * @return completes when the last connection has ended
     */
    CompletableFuture<Void> close() {
        if (!stopping) {
            stop(new SwitchboardException("client is closed"));
            Connection connection = current;
            if (connection == null) {
                closed.complete(null);
            } else if (connection.isHandshakeComplete()) {
                acks.flush();
                connection.sendCloseFrame(CloseCodes.NORMAL, "client closing", false);
                eventLoop.schedule(() -> connection.abort("close timed out"), CLOSE_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                connection.abort("closed by the client");
            }
        }
        return closed;
    }

    @Override
    public void onText(Connection connection, String text) {
        if (connection != current) {
            return;
        }
        JsonNode node;
        try {
            node = Wire.parse(text);
        } catch (JsonProcessingException e) {
            log.warn("{}: ignoring a message that is not JSON: {}", connection, e.getOriginalMessage());
            return;
        }
        MessageType type = MessageType.fromWireName(Wire.text(node, "type"));
        if (type == null) {
            log.debug("{}: ignoring a message of unknown type: {}", connection, node.get("type"));
        } else if (type == MessageType.WELCOME) {
            onWelcome(connection, node);
        } else if (!connection.isWelcomed()) {
            log.warn("{}: ignoring {} before welcome", connection, type.wireName());
        } else if (type == MessageType.KICKED) {
            kickedReason = Wire.text(node, "reason");
            log.info("{}: kicked: {}", connection, kickedReason);
            listener.onKicked(kickedReason);
        } else {
            inbound.dispatch(connection, type, node);
        }
    }

    @Override
    public void onPingDue(Connection connection) {
        if (connection == current && connection.isReady()) {
            connection.write("{\"type\":\"ping\"}");
        }
    }

    @Override
    public void onDead(Connection connection) {
        log.warn("{}: nothing received for {}; reconnecting", connection, config.pingTimeout());
        connection.abort("nothing received for " + config.pingTimeout().toMillis() + " ms");
    }

    @Override
    public void onEnded(Connection connection) {
        if (connection != current) {
            return;
        }
        current = null;
        acks.onDisconnected();
        uploads.onDisconnected(); // first: the uploads whose replies fail next then wait for the next welcome
        outbound.onDisconnected(new SwitchboardException("connection lost before the reply arrived"));
        topics.onDisconnected();
        if (connection.isTcpConnected()) {
            listener.onClosed(connection.closeCode(), connection.closeReason());
        }
        if (stopping) {
            closed.complete(null);
            return;
        }
        decideAfterEnd(connection);
    }

    private void decideAfterEnd(Connection connection) {
        int closeCode = connection.closeCode();
        int httpStatus = connection.httpStatus();
        boolean authRefused = ReconnectPolicy.isAuthRefusal(httpStatus);
        authFailuresInRow = authRefused ? authFailuresInRow + 1 : 0;
        switch (ReconnectPolicy.decide(closeCode, httpStatus, config.tokenProvider() != null, authFailuresInRow)) {
            case STOP -> {
                SwitchboardException cause = authRefused
                        ? SwitchboardException.handshakeRefused(httpStatus, "handshake refused with HTTP " + httpStatus)
                        : SwitchboardException.closed(closeCode, kickedReason != null ? kickedReason : connection.closeReason());
                if (authRefused) {
                    listener.onError(cause);
                }
                terminate(cause);
            }
            case RECONNECT_NOW -> {
                log.info("{}: {}; reconnecting at once with a fresh token", connection,
                        authRefused ? "handshake refused with " + httpStatus : "token expired");
                changeState(ConnectionState.RECONNECTING);
                openConnection();
            }
            case RECONNECT_WITH_BACKOFF -> {
                if (connection.failure() != null) {
                    listener.onError(new SwitchboardException(connection.describeFailure(), null, -1, httpStatus,
                            connection.failure()));
                }
                scheduleReconnect();
            }
        }
    }

    private void onWelcome(Connection connection, JsonNode welcome) {
        if (connection.isWelcomed()) {
            log.warn("{}: ignoring a second welcome", connection);
            return;
        }
        connection.markWelcomed();
        userId = Wire.text(welcome, "userId");
        deviceId = Wire.text(welcome, "deviceId");
        backoffExponent = 0;
        reconnectBackoff = Backoff.advertisedOr(Wire.wholeNumber(welcome, "reconnectBaseMs"),
                Wire.wholeNumber(welcome, "reconnectMaxMs"), backoff);
        authFailuresInRow = 0;
        long cursor = welcome.path("cursor").asLong(0);
        long processedBefore = sequencer.lastSeq();
        Long afterSeq = sequencer.resumeAfter(cursor, welcome.path("lastSeq").asLong(-1));
        if (sequencer.lastSeq() < processedBefore) {
            log.warn("{}: the server's newest seq is below the processed {}: its store was reset; continuing "
                    + "from cursor {}", connection, processedBefore, cursor);
            acks.rebase(cursor);
        }
        log.debug("{}: welcome as {} on device {}, cursor {}; resume after {}", connection, userId, deviceId,
                cursor, afterSeq == null ? "the cursor" : afterSeq);
        connection.write(Wire.resume(afterSeq));
        acks.onConnected(seq -> connection.write(Wire.ack(seq)), cursor);
        outbound.onConnected(connection, welcome.path("maxMessageBytes").asLong(0),
                welcome.path("sendsPerSecond").asInt(0), welcome.path("sendBurst").asInt(0));
        changeState(ConnectionState.CONNECTED);
        topics.onConnected();
        uploads.onConnected();
        connected.complete(null);
    }

    private void openConnection() {
        reconnectTimer = null;
        if (stopping) {
            return;
        }
        attempts++;
        if (attempts > 1) {
            stats.countReconnect();
        }
        String token;
        try {
            token = config.tokenProvider() == null ? null : config.tokenProvider().get();
        } catch (RuntimeException e) {
            listener.onError(new SwitchboardException("the token provider failed", e));
            scheduleReconnect();
            return;
        }
        try {
            current = connector.open(attempts, token, this);
        } catch (RuntimeException e) {
            SwitchboardException failure = e instanceof SwitchboardException s ? s
                    : new SwitchboardException("cannot open a connection", e);
            listener.onError(failure);
            terminate(failure);
        }
    }

    private void scheduleReconnect() {
        changeState(ConnectionState.RECONNECTING);
        long delayNanos = reconnectBackoff.delay(backoffExponent).toNanos();
        backoffExponent = Math.min(backoffExponent + 1, MAX_BACKOFF_EXPONENT);
        log.info("reconnecting in {} ms", TimeUnit.NANOSECONDS.toMillis(delayNanos));
        reconnectTimer = eventLoop.schedule(this::openConnection, delayNanos, TimeUnit.NANOSECONDS);
    }

    /** Ends the client after a terminal condition; the connection is already gone. */
    private void terminate(SwitchboardException cause) {
        log.info("stopping for good: {}", cause.getMessage());
        stop(cause);
        closed.complete(null);
    }

    private void stop(SwitchboardException cause) {
        stopping = true;
        if (reconnectTimer != null) {
            reconnectTimer.cancel(false);
            reconnectTimer = null;
        }
        uploads.failAll(cause);
        outbound.failAll(cause);
        topics.failAll(cause);
        connected.completeExceptionally(cause);
        changeState(ConnectionState.CLOSED);
    }

    private void changeState(ConnectionState next) {
        ConnectionState previous = state;
        if (previous != next) {
            state = next;
            listener.onStateChanged(next, previous);
        }
    }

    CompletableFuture<Void> connectedFuture() {
        return connected;
    }

    ConnectionState state() {
        return state;
    }

    long lastSeq() {
        return sequencer.lastSeq();
    }

    TopicPosition topicPosition(String topic) {
        return topics.position(topic);
    }

    Set<String> subscribedTopics() {
        return topics.topics();
    }

    String userId() {
        return userId;
    }

    String deviceId() {
        return deviceId;
    }

    ClientStats stats() {
        return stats.snapshot();
    }
}
