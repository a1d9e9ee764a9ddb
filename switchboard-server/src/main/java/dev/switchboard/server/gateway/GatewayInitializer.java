package dev.switchboard.server.gateway;

import dev.switchboard.server.config.ServerConfig;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.DeflateFrameServerExtensionHandshaker;
import io.netty.handler.codec.http.websocketx.extensions.compression.PerMessageDeflateServerExtensionHandshaker;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * The pipeline of every accepted connection, in wire order. Until the upgrade:
 * TLS (optional) → handshake idle timeout → HTTP codec → aggregator → {@link HttpRequestHandler}
 * (health, page, admission + auth, handshake).
 * After the upgrade: TLS (optional) → WebSocket frame decoder and encoder → permessage-deflate (if
 * negotiated) → one {@link WebSocketEndpointHandler} (session or echo), which also consolidates flushes
 * and keeps the connection alive. Three contexts per idle connection: every one costs memory on each of
 * the connections a node holds.
 */
final class GatewayInitializer extends ChannelInitializer<SocketChannel> {
    private static final int MAX_HTTP_REQUEST_BYTES = 8192;
    /** A connection that is still plain HTTP after this many handshake timeouts is closed, busy or not. */
    private static final int HTTP_LIFETIME_FACTOR = 6;
    static final String IDLE = "idle";
    private static final String IDLE_ACTION = "idle-action";
    static final String HTTP_CODEC = "http";
    private static final String HTTP_AGGREGATOR = "http-aggregator";

    private final GatewayServices services;
    private final SslContext sslContext;
    private final StaticResources staticResources = new StaticResources("/web");
    /** Immutable, so one instance serves every channel (idle connections should cost as little as possible). */
    private final WebSocketUpgrade.Factory upgrades;

    GatewayInitializer(GatewayServices services, SslContext sslContext) {
        this.services = services;
        this.sslContext = sslContext;
        int maxMessageBytes = services.config().limits().maxMessageBytes();
        WebSocketDecoderConfig decoderConfig = decoderConfig(maxMessageBytes);
        // What Netty's WebSocketServerCompressionHandler offers; maxAllocation bounds each inflated frame:
        // the decompression-bomb limit.
        List<WebSocketServerExtensionHandshaker> extensions = services.config().server().compression()
                ? List.of(new PerMessageDeflateServerExtensionHandshaker(maxMessageBytes),
                        new DeflateFrameServerExtensionHandshaker(DeflateFrameServerExtensionHandshaker.DEFAULT_COMPRESSION_LEVEL,
                                maxMessageBytes))
                : List.of();
        this.upgrades = new WebSocketUpgrade.Factory(decoderConfig, extensions);
    }

    /**
     * The frame decoder's settings: no single frame over the message limit, extensions allowed (RSV1 for
     * deflate; {@link WebSocketUpgrade} turns them off where none was negotiated).
     */
    static WebSocketDecoderConfig decoderConfig(int maxMessageBytes) {
        return WebSocketDecoderConfig.newBuilder()
                .maxFramePayloadLength(maxMessageBytes)
                .allowExtensions(true)
                .withUTF8Validator(false) // whole messages are checked by WebSocketEndpointHandler
                .build(); // WebSocketUpgrade turns the decoder's own close on a protocol violation off: the endpoint closes
    }

    @Override
    protected void initChannel(SocketChannel channel) {
        ServerConfig config = services.config();
        ChannelPipeline pipeline = channel.pipeline();
        if (sslContext != null) {
            pipeline.addLast("tls", sslContext.newHandler(channel.alloc()));
        }
        addHttpHandlers(pipeline, config.server().handshakeTimeoutMillis());
        // An absolute deadline too: the idle timeout alone is reset by every byte (slowloris). Cancelled at the upgrade.
        ScheduledFuture<?> httpDeadline = channel.eventLoop().schedule(() -> {
            if (channel.pipeline().get(HttpServerCodec.class) != null) { // still plain HTTP: never upgraded
                channel.close();
            }
        }, config.server().handshakeTimeoutMillis() * HTTP_LIFETIME_FACTOR, TimeUnit.MILLISECONDS);
        pipeline.addLast("http-handler", new HttpRequestHandler(services, staticResources, upgrades, httpDeadline));
    }

    /** The handlers of the plain-HTTP phase, up to the request handler: handshake idle timeout, codec, aggregator. */
    static void addHttpHandlers(ChannelPipeline pipeline, long handshakeTimeoutMillis) {
        pipeline.addLast(IDLE, new IdleStateHandler(0, 0, handshakeTimeoutMillis, TimeUnit.MILLISECONDS));
        pipeline.addLast(IDLE_ACTION, new HandshakeTimeoutHandler());
        pipeline.addLast(HTTP_CODEC, new HttpServerCodec());
        pipeline.addLast(HTTP_AGGREGATOR, new HttpObjectAggregator(MAX_HTTP_REQUEST_BYTES));
    }

    /**
     * Drops the handlers of the plain-HTTP phase at the upgrade: the handshake timeout (from then on the
     * endpoint handler's heartbeat applies), the aggregator and the HTTP codec, whose unread bytes go to
     * the handler after it ({@link WebSocketUpgrade} puts the frame decoder there).
     */
    static void removeHttpHandlers(ChannelPipeline pipeline) {
        pipeline.remove(IDLE);
        pipeline.remove(IDLE_ACTION);
        pipeline.remove(HTTP_AGGREGATOR);
        pipeline.remove(HTTP_CODEC);
    }
}
