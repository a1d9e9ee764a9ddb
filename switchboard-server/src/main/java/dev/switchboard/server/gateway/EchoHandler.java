package dev.switchboard.server.gateway;

import dev.switchboard.server.config.ServerConfig;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/echo} (only with {@code server.echoEndpoint}): the same pipeline, limits and
 * heartbeat as {@code /ws}, echoing each data message back in the same frame type. It exists so the
 * WebSocket layer can be checked by an Autobahn-style conformance client; it needs no token.
 */
final class EchoHandler extends SimpleChannelInboundHandler<WebSocketFrame> {
    private static final Logger log = LoggerFactory.getLogger(EchoHandler.class);
    private final ServerConfig config;

    EchoHandler(ServerConfig config) {
        this.config = config;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
            GatewayInitializer.installHeartbeat(ctx.pipeline(), config.heartbeat());
        } else {
            super.userEventTriggered(ctx, event);
        }
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, WebSocketFrame frame) {
        if (frame instanceof TextWebSocketFrame) {
            ctx.writeAndFlush(new TextWebSocketFrame(frame.content().retain()));
        } else if (frame instanceof BinaryWebSocketFrame) {
            ctx.writeAndFlush(new BinaryWebSocketFrame(frame.content().retain()));
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        WebSocketErrors.handle(ctx, cause, log, ctx.channel().id().asShortText());
    }
}
