package dev.switchboard.server.api;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMessage;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The server API, admin page and metrics on a port of their own ({@code api.port}), so the public
 * balancer never exposes them. One event loop: the API does little per request, and everything it
 * waits for (store, Redis) completes asynchronously.
 */
public final class ApiServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ApiServer.class);
    private static final int MAX_REQUEST_BYTES = 256 * 1024;
    private static final int IDLE_SECONDS = 60;

    private final ApiServices services;
    private final EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private Channel serverChannel;

    public ApiServer(ApiServices services) {
        this.services = services;
    }

    /** Binds; returns the port. */
    public int start() throws InterruptedException {
        ApiRequestHandler handler = new ApiRequestHandler(services);
        if (services.config().api().keys().isEmpty()) {
            if (services.config().auth().devMode()) {
                log.warn("DEVELOPMENT MODE: the server API accepts the key '" + ApiRequestHandler.DEV_API_KEY
                        + "'. Set api.keys in production.");
            } else {
                log.warn("no api.keys configured: the server API refuses every request (metrics and /admin page still served)");
            }
        }
        serverChannel = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new IdleStateHandler(0, 0, IDLE_SECONDS, TimeUnit.SECONDS) {
                            @Override
                            protected void channelIdle(ChannelHandlerContext ctx,
                                                       IdleStateEvent event) {
                                ctx.close();
                            }
                        });
                        channel.pipeline().addLast(new HttpServerCodec());
                        channel.pipeline().addLast(new JsonErrorAggregator(MAX_REQUEST_BYTES));
                        channel.pipeline().addLast(handler);
                    }
                })
                .bind(services.config().api().host(), services.config().api().port()).sync().channel();
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        log.atInfo().setMessage("API listening").addKeyValue("host", services.config().api().host())
                .addKeyValue("port", port).log();
        return port;
    }

    /** Answers an oversized request with the API's JSON error instead of an empty 413. */
    private static final class JsonErrorAggregator extends HttpObjectAggregator {
        JsonErrorAggregator(int maxContentLength) {
            super(maxContentLength);
        }

        @Override
        protected void handleOversizedMessage(ChannelHandlerContext ctx, HttpMessage oversized) {
            byte[] body = ("{\"error\":\"payload_too_large\",\"message\":\"the request body is larger than "
                    + MAX_REQUEST_BYTES + " bytes\"}").getBytes(StandardCharsets.UTF_8);
            var response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                    HttpResponseStatus.REQUEST_ENTITY_TOO_LARGE, Unpooled.wrappedBuffer(body));
            response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
            response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close();
        }
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
