package dev.switchboard.server.gateway;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.timeout.IdleStateEvent;

/**
 * Before the upgrade: closes a connection that has been idle for the handshake timeout (slowloris,
 * abandoned keep-alive). Removed at the upgrade, when the keep-alive of {@link WebSocketEndpointHandler} takes over.
 */
final class HandshakeTimeoutHandler extends ChannelInboundHandlerAdapter {
    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (event instanceof IdleStateEvent) {
            ctx.close();
            return;
        }
        super.userEventTriggered(ctx, event);
    }
}
