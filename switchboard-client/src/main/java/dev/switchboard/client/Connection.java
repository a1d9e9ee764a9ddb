package dev.switchboard.client;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One connection attempt and, if it succeeds, one WebSocket session: the channel plus what is learnt
 * about how it ended (close code and reason, handshake HTTP status, failure). A reconnect creates a new
 * instance, so callbacks from an old channel are recognised as stale by identity.
 *
 * <p>Not thread-safe: confined to the client's event loop, which is also the channel's.
 */
final class Connection {
    private static final Logger log = LoggerFactory.getLogger(Connection.class);

    private final int number;
    private Channel channel;
    private boolean tcpConnected;
    private boolean handshakeComplete;
    private boolean welcomed;
    private boolean closeFrameSent;
    private int closeCode = -1;
    private String closeReason = "";
    private int httpStatus;
    private Throwable failure;

    /** @param number 1 for the client's first attempt, counting up; used in log lines */
    Connection(int number) {
        this.number = number;
    }

    int number() {
        return number;
    }

    void attach(Channel value) {
        channel = value;
    }

    Channel channel() {
        return channel;
    }

    /** True while the WebSocket is usable: welcomed, channel open, and no close frame sent. */
    boolean isReady() {
        return welcomed && !closeFrameSent && channel != null && channel.isActive();
    }

    /**
     * Writes one JSON message as a text frame and flushes. A failed write is only logged: the channel
     * is then closing, and the close path decides what happens to the message.
     */
    void write(String json) {
        if (channel == null || closeFrameSent) {
            return;
        }
        channel.writeAndFlush(new TextWebSocketFrame(json)).addListener((ChannelFutureListener) future -> {
            if (!future.isSuccess()) {
                log.debug("connection {}: write failed: {}", number, future.cause().toString());
            }
        });
    }

    /** Writes one binary frame and flushes; a failed write is only logged, as in {@link #write}. */
    void writeBinary(byte[] payload) {
        if (channel == null || closeFrameSent) {
            return;
        }
        channel.writeAndFlush(new BinaryWebSocketFrame(Unpooled.wrappedBuffer(payload)))
                .addListener((ChannelFutureListener) future -> {
                    if (!future.isSuccess()) {
                        log.debug("connection {}: write failed: {}", number, future.cause().toString());
                    }
                });
    }

    /**
     * Starts the closing handshake: sends a close frame with {@code code} (1000 when it may not be sent
     * on the wire) unless one was sent already. The server answers with its own close frame and ends
     * the TCP connection; {@code closeChannel} also ends it from this side once the frame is written.
     */
    void sendCloseFrame(int code, String reason, boolean closeChannel) {
        if (channel == null || closeFrameSent || !handshakeComplete) {
            if (closeChannel && channel != null) {
                channel.close();
            }
            return;
        }
        closeFrameSent = true;
        int wireCode = WebSocketCloseStatus.isValidStatusCode(code) ? code : WebSocketCloseStatus.NORMAL_CLOSURE.code();
        var written = channel.writeAndFlush(new CloseWebSocketFrame(wireCode, reason));
        if (closeChannel) {
            written.addListener(ChannelFutureListener.CLOSE);
        }
    }

    /** Closes the TCP connection without a close frame (a dead peer would never answer one). */
    void abort(String reason) {
        if (closeCode == -1) {
            closeReason = reason;
        }
        if (channel != null) {
            channel.close();
        }
    }

    boolean isTcpConnected() {
        return tcpConnected;
    }

    void markTcpConnected() {
        tcpConnected = true;
    }

    boolean isHandshakeComplete() {
        return handshakeComplete;
    }

    void markHandshakeComplete() {
        handshakeComplete = true;
    }

    boolean isWelcomed() {
        return welcomed;
    }

    void markWelcomed() {
        welcomed = true;
    }

    boolean isCloseFrameSent() {
        return closeFrameSent;
    }

    /** Records the server's close frame; {@code code} is -1 when the frame carried none. */
    void recordCloseFrame(int code, String reason) {
        closeCode = code == -1 ? WebSocketCloseStatus.EMPTY.code() : code;
        closeReason = reason == null ? "" : reason;
    }

    /** The server's close code, 1005 for a close frame without one, or -1 when none arrived. */
    int closeCode() {
        return closeCode;
    }

    String closeReason() {
        return closeReason;
    }

    /** Records the HTTP status of a refused handshake. */
    void recordHttpStatus(int status) {
        httpStatus = status;
    }

    /** The status of a refused handshake, or 0 when the handshake did not get that far or succeeded. */
    int httpStatus() {
        return httpStatus;
    }

    /** Records the first failure (connect error, TLS error, handshake refusal); later ones are effects. */
    void recordFailure(Throwable cause) {
        if (failure == null) {
            failure = cause;
        }
        if (closeCode == -1 && closeReason.isEmpty()) {
            closeReason = String.valueOf(cause.getMessage());
        }
    }

    Throwable failure() {
        return failure;
    }

    /** One line for logs and {@link ClientListener#onError}: the HTTP status if any, and the first failure. */
    String describeFailure() {
        String status = httpStatus == 0 ? "" : " (HTTP " + httpStatus + ")";
        return this + " failed" + status + ": " + failure;
    }

    @Override
    public String toString() {
        return "connection " + number;
    }
}
