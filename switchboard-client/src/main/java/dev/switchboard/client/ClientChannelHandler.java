package dev.switchboard.client;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketClientHandshakeException;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler.ClientHandshakeStateEvent;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketHandshakeException;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Last handler of a client pipeline: hands whole text messages to the engine and records on the
 * {@link Connection} everything the engine needs once the channel is closed: TCP connected or not, the
 * handshake's HTTP status, the server's close code and reason, the first failure.
 *
 * <p>Close frames reach this handler (the protocol handler is configured not to swallow them) so that the
 * close code is known; it answers a server close with the same code, as RFC 6455 asks. Ping frames are
 * answered by Netty's protocol handler before they get here. Frames are released after handling.
 */
final class ClientChannelHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(ClientChannelHandler.class);

    private final Connection connection;
    private final BiConsumer<Connection, String> textConsumer;

    /** @param textConsumer receives each inbound text message, on the event loop */
    ClientChannelHandler(Connection connection, BiConsumer<Connection, String> textConsumer) {
        this.connection = connection;
        this.textConsumer = textConsumer;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        connection.markTcpConnected();
        super.channelActive(ctx);
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event == ClientHandshakeStateEvent.HANDSHAKE_COMPLETE) {
            connection.markHandshakeComplete();
            log.debug("{}: WebSocket handshake complete", connection);
        } else if (event == ClientHandshakeStateEvent.HANDSHAKE_TIMEOUT) {
            connection.recordFailure(new WebSocketHandshakeException("handshake timed out"));
        }
        super.userEventTriggered(ctx, event);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame text) {
            textConsumer.accept(connection, text.text());
        } else if (frame instanceof CloseWebSocketFrame close) {
            connection.recordCloseFrame(close.statusCode(), close.reasonText());
            log.debug("{}: server closed with {} {}", connection, connection.closeCode(), connection.closeReason());
            if (connection.isCloseFrameSent()) {
                ctx.close();
            } else {
                connection.sendCloseFrame(connection.closeCode(), "", true);
            }
        } else if (frame instanceof BinaryWebSocketFrame) {
            log.warn("{}: ignoring a binary frame; the protocol only uses text", connection);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof WebSocketClientHandshakeException handshake && handshake.response() != null) {
            connection.recordHttpStatus(handshake.response().status().code());
        }
        connection.recordFailure(cause);
        log.debug("{}: {}", connection, cause.toString());
        ctx.close();
    }
}
