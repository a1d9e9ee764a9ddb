package dev.switchboard.server.gateway;

import dev.switchboard.server.config.ServerConfig;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.extensions.compression.WebSocketServerCompressionHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of every accepted connection, in wire order. Until the upgrade:
 * TLS (optional) → handshake idle timeout → HTTP codec → aggregator →
 * compression negotiation → {@link HttpRequestHandler} (health, page, admission + auth, handshake).
 * After the upgrade: TLS (optional) → WebSocket frame decoder and encoder → permessage-deflate (if
 * negotiated) → one {@link WebSocketEndpointHandler} (session or echo), which also consolidates flushes
 * and keeps the connection alive. Three contexts per idle connection: every one costs memory on each of
 * the connections a node holds.
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
    private final WebSocketServerHandshakerFactory handshakerFactory;

    GatewayInitializer(GatewayServices services, SslContext sslContext) {
        this.services = services;
        this.sslContext = sslContext;
        int maxMessageBytes = services.config().limits().maxMessageBytes();
        // The location only matters to pre-13 handshakes, which are refused before this factory is used.
        this.handshakerFactory = new WebSocketServerHandshakerFactory("ws://switchboard" + HttpRequestHandler.WEBSOCKET_PATH,
                null, WebSocketDecoderConfig.newBuilder()
                        .maxFramePayloadLength(maxMessageBytes)
                        .allowExtensions(true)
                        .withUTF8Validator(false) // whole messages are checked by WebSocketEndpointHandler
                        .closeOnProtocolViolation(true)
                        .build());
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        ServerConfig config = services.config();
        int maxMessageBytes = config.limits().maxMessageBytes();
        ChannelPipeline pipeline = channel.pipeline();
        if (sslContext != null) {
            pipeline.addLast("tls", sslContext.newHandler(channel.alloc()));
        }
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
        if (config.server().compression()) {
            // Reads the upgrade request's offer and answers it in the 101, so it sits in front of the
            // request handler. maxAllocation bounds each inflated frame: the decompression-bomb limit.
            pipeline.addLast("compression", new WebSocketServerCompressionHandler(maxMessageBytes));
        }
        pipeline.addLast("http-handler", new HttpRequestHandler(services, staticResources, handshakerFactory, httpDeadline));
    }

    /** Drops the handshake timeout at the upgrade: from then on the endpoint handler's heartbeat applies. */
    static void removeHandshakeTimeout(ChannelPipeline pipeline) {
        pipeline.remove(IDLE);
        pipeline.remove(IDLE_ACTION);
    }
}
