package dev.switchboard.server.gateway;

import dev.switchboard.server.config.ServerConfig;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of every accepted connection, in wire order. Until the upgrade:
 * TLS (optional) → flush consolidation → handshake idle timeout → HTTP codec → aggregator →
 * {@link HttpRequestHandler} (health, page, admission + auth) → compression → WebSocket protocol
 * (handshake, close/ping/pong, UTF-8 and size limits) → fragment aggregator → the session or echo
 * handler that {@code HttpRequestHandler} installs. At the upgrade Netty swaps the HTTP codec for the
 * WebSocket codec and the idle timeout becomes the heartbeat.
 */
final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_HTTP_REQUEST_BYTES = 8192;
    /** A connection that is still plain HTTP after this many handshake timeouts is closed, busy or not. */
    private static final int HTTP_LIFETIME_FACTOR = 6;
    private static final String IDLE = "idle";
    private static final String IDLE_ACTION = "idle-action";

    private final GatewayServices services;
    private final SslContext sslContext;
    private final StaticResources staticResources = new StaticResources("/web");
    /** Immutable, so one instance serves every channel (idle connections should cost as little as possible). */
    private final WebSocketServerProtocolConfig webSocketConfig;

    GatewayInitializer(GatewayServices services, SslContext sslContext) {
        this.services = services;
        this.sslContext = sslContext;
        int maxMessageBytes = services.config().limits().maxMessageBytes();
        this.webSocketConfig = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath(HttpRequestHandler.WEBSOCKET_PATH)
                .checkStartsWith(true)
                .allowExtensions(true)
                .handleCloseFrames(true)
                .dropPongFrames(true)
                .handshakeTimeoutMillis(services.config().server().handshakeTimeoutMillis())
                .decoderConfig(WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(maxMessageBytes)
                        .allowExtensions(true)
                        .withUTF8Validator(true)
                        .closeOnProtocolViolation(true)
                        .build())
                .build();
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        ServerConfig config = services.config();
        int maxMessageBytes = config.limits().maxMessageBytes();
        ChannelPipeline pipeline = channel.pipeline();
        if (sslContext != null) {
            pipeline.addLast("tls", sslContext.newHandler(channel.alloc()));
        }
        // Coalesces the flushes of a burst (a replay page, a fan-out) into fewer syscalls.
        pipeline.addLast("flush", new FlushConsolidationHandler(256, true));
        pipeline.addLast(IDLE, new IdleStateHandler(0, 0, config.server().handshakeTimeoutMillis(), TimeUnit.MILLISECONDS));
        pipeline.addLast(IDLE_ACTION, new HandshakeTimeoutHandler());
        pipeline.addLast("http", new HttpServerCodec());
        pipeline.addLast("http-aggregator", new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES));
        // An absolute deadline too: the idle timeout alone is reset by every byte (slowloris). Cancelled at the upgrade.
        ScheduledFuture<?> httpDeadline = channel.eventLoop().schedule(() -> {
            if (channel.pipeline().get(HttpServerCodec.class) != null) { // still plain HTTP: never upgraded
                channel.close();
            }
        }, config.server().handshakeTimeoutMillis() * HTTP_LIFETIME_FACTOR, TimeUnit.MILLISECONDS);
        pipeline.addLast("http-handler", new HttpRequestHandler(services, staticResources, httpDeadline));
        if (config.server().compression()) {
            // maxAllocation bounds each inflated frame: the decompression-bomb limit.
            pipeline.addLast("compression", new WebSocketServerCompressionHandler(maxMessageBytes));
        }
        pipeline.addLast("websocket", new WebSocketServerProtocolHandler(webSocketConfig));
        pipeline.addLast("fragments", new WebSocketFrameAggregator(maxMessageBytes));
    }

    /** Turns the handshake timeout into the WebSocket heartbeat (called at the upgrade). */
    static void installHeartbeat(ChannelPipeline pipeline, ServerConfig.Heartbeat heartbeat) {
        pipeline.remove(IDLE);
        pipeline.replace(IDLE_ACTION, "heartbeat",
                new HeartbeatHandler(heartbeat.pingIntervalMillis(), heartbeat.pingTimeoutMillis()));
    }
}
