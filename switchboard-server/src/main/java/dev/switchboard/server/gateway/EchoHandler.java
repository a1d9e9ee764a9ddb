package dev.switchboard.server.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.BinaryWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code /ws/echo} (only with {@code server.echoEndpoint}): the same endpoint handling, limits and
 * heartbeat as {@code /ws}, echoing each data message back in the same frame type. It exists so the
 * WebSocket layer can be checked by an Autobahn-style conformance client; it needs no token.
 */
final class EchoHandler extends WebSocketEndpointHandler {
    private static final Logger log = LoggerFactory.getLogger(EchoHandler.class);

    EchoHandler(GatewayServices services) {
        super(services.keepAlive(), services.config().limits().maxMessageBytes());
    }

    @Override
    protected void onText(ChannelHandlerContext ctx, ByteBuf utf8) {
        ctx.channel().writeAndFlush(new TextWebSocketFrame(utf8.retainedDuplicate()));
    }

    @Override
    protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
        ctx.channel().writeAndFlush(new BinaryWebSocketFrame(content.retainedDuplicate()));
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        WebSocketErrors.handle(ctx, cause, log, ctx.channel().id().asShortText());
    }
}
