package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.PingWebSocketFrame;
import io.netty.handler.timeout.IdleState;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;

/**
 * Server side of keep-alive (R4), fed by an {@link IdleStateHandler} whose reader-idle time is the
 * ping interval: each reader-idle period pings the client; once the silence reaches the timeout the
 * connection is closed with 4002. Any inbound bytes (data, pong, close) reset the count.
 *
 * @implNote Pings follow reader idleness, not writer idleness: a client that only receives (a busy
 * topic) would otherwise never be pinged, never answer, and be closed as silent.
 * Sits in front of the WebSocket encoder, so it writes through the channel (tail of the pipeline).
 */
final class HeartbeatHandler extends ChannelDuplexHandler {
    private final long pingIntervalMillis;
    private final long pingTimeoutMillis;
    private int idlePeriods;

    HeartbeatHandler(long pingIntervalMillis, long pingTimeoutMillis) {
        this.pingIntervalMillis = pingIntervalMillis;
        this.pingTimeoutMillis = pingTimeoutMillis;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object event) throws Exception {
        if (!(event instanceof IdleStateEvent idle) || idle.state() != IdleState.READER_IDLE) {
            super.userEventTriggered(ctx, event);
            return;
        }
        idlePeriods = idle.isFirst() ? 1 : idlePeriods + 1;
        if (idlePeriods * pingIntervalMillis >= pingTimeoutMillis) {
            ctx.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.HEARTBEAT_TIMEOUT, "heartbeat timeout"))
                    .addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.channel().writeAndFlush(new PingWebSocketFrame());
        }
    }
}
