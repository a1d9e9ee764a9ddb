package dev.switchboard.bench.peer;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Before Netty's handshake, refuses what the Bun peer refuses with the same statuses: 404 for a path
 * other than {@code /ws}, 400 for a request without {@code ?user=}. A request it lets through carries
 * its user in {@link PeerProtocolHandler#USER}; then it leaves the pipeline.
 */
final class UserParameter extends ChannelInboundHandlerAdapter {

    @Override
    public void channelRead(ChannelHandlerContext context, Object message) {
        if (!(message instanceof FullHttpRequest request)) {
            context.fireChannelRead(message);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        if (!"/ws".equals(uri.path())) {
            refuse(context, request, HttpResponseStatus.NOT_FOUND, "not found");
            return;
        }
        List<String> users = uri.parameters().get("user");
        if (users == null || users.isEmpty() || users.get(0).isEmpty()) {
            refuse(context, request, HttpResponseStatus.BAD_REQUEST, "user required");
            return;
        }
        context.channel().attr(PeerProtocolHandler.USER).set(users.get(0));
        context.pipeline().remove(this);
        context.fireChannelRead(request);
    }

    private static void refuse(ChannelHandlerContext context, FullHttpRequest request, HttpResponseStatus status, String text) {
        DefaultFullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(), status,
                Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        request.release();
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, "text/plain; charset=utf-8");
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, response.content().readableBytes());
        context.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }
}
