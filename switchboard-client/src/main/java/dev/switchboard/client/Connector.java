package dev.switchboard.client;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoop;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketFrameAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLException;

/**
 * Opens WebSocket connections to the server: builds the handshake URI with the credential and device
 * id, and the Netty pipeline. Every channel is registered on the one event loop given here, so all
 * connection state of a client stays on one thread across reconnects.
 *
 * <p>{@code wss://} uses the JDK's default trust store with host name verification; there is no
 * option for custom certificates yet. Only NIO transports are supported (see {@link ClientConfig}).
 */
final class Connector {
    /** Largest inbound message, after reassembly of fragments; far above the server's own 64 KiB limit. */
    static final int MAX_MESSAGE_BYTES = 1 << 20;
    /** Largest body of a refused handshake's answer that is read (the server sends a short JSON). */
    private static final int MAX_HANDSHAKE_RESPONSE_BYTES = 64 * 1024;

    /** What happens on a connection, reported on the event loop. */
    interface Events {
        void onText(Connection connection, String text);

        /** A keep-alive ping is due (nothing received for {@code pingInterval}). */
        void onPingDue(Connection connection);

        /** Nothing received for {@code pingTimeout}: the connection must be closed. */
        void onDead(Connection connection);

        /** The channel is closed, or never opened; called exactly once per connection. */
        void onEnded(Connection connection);
    }

    private final ClientConfig config;
    private final EventLoop eventLoop;
    private SslContext sslContext;

    Connector(ClientConfig config, EventLoop eventLoop) {
        this.config = config;
        this.eventLoop = eventLoop;
    }

    /**
     * Starts connecting. Returns at once; the outcome is reported through {@code events}, and
     * {@link Events#onEnded} always follows eventually, also when the connect fails.
     *
     * @param token the JWT for this attempt, or null to use {@code devUser} (or no credential)
     * @throws SwitchboardException when TLS cannot be set up
     */
    Connection open(int number, String token, Events events) {
        URI serverUri = config.serverUri();
        boolean secure = "wss".equalsIgnoreCase(serverUri.getScheme());
        String host = serverUri.getHost();
        int port = serverUri.getPort() != -1 ? serverUri.getPort() : secure ? 443 : 80;
        URI handshakeUri = handshakeUri(serverUri, token, config.devUser(), config.deviceId());
        SslContext tls = secure ? sslContext() : null;
        Connection connection = new Connection(number);

        Bootstrap bootstrap = new Bootstrap()
                .group(eventLoop)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis())
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        ChannelPipeline pipeline = channel.pipeline();
                        pipeline.addLast("heartbeat", new HeartbeatHandler(config.pingInterval(), config.pingTimeout(),
                                () -> events.onPingDue(connection), () -> events.onDead(connection)));
                        if (tls != null) {
                            pipeline.addLast("tls", tls.newHandler(channel.alloc(), host, port));
                        }
                        pipeline.addLast("http", new HttpClientCodec());
                        pipeline.addLast("http-aggregator", new HttpObjectAggregator(MAX_HANDSHAKE_RESPONSE_BYTES));
                        pipeline.addLast("websocket", new WebSocketClientProtocolHandler(protocolConfig(handshakeUri)));
                        pipeline.addLast("websocket-aggregator", new WebSocketFrameAggregator(MAX_MESSAGE_BYTES));
                        pipeline.addLast("client", new ClientChannelHandler(connection, events::onText));
                    }
                });

        ChannelFuture connect = bootstrap.connect(host, port);
        Channel channel = connect.channel();
        connection.attach(channel);
        connect.addListener((ChannelFutureListener) future -> {
            if (!future.isSuccess()) {
                connection.recordFailure(future.cause());
                future.channel().close();
            }
        });
        // Deferred, so a failure recorded by the connect listener is visible whichever completes first.
        channel.closeFuture().addListener(future -> eventLoop.execute(() -> events.onEnded(connection)));
        return connection;
    }

    /**
     * The URI of the handshake request: {@code serverUri} plus {@code token=} (or {@code user=} when there
     * is no token) and {@code device=}, URL-encoded, after any query {@code serverUri} already has.
     */
    static URI handshakeUri(URI serverUri, String token, String devUser, String deviceId) {
        StringBuilder query = new StringBuilder(serverUri.getRawQuery() == null ? "" : serverUri.getRawQuery());
        if (token != null) {
            appendParameter(query, "token", token);
        } else if (devUser != null) {
            appendParameter(query, "user", devUser);
        }
        if (deviceId != null) {
            appendParameter(query, "device", deviceId);
        }
        String path = serverUri.getRawPath() == null || serverUri.getRawPath().isEmpty() ? "/" : serverUri.getRawPath();
        return URI.create(serverUri.getScheme() + "://" + serverUri.getRawAuthority() + path
                + (query.length() == 0 ? "" : "?" + query));
    }

    private static void appendParameter(StringBuilder query, String name, String value) {
        if (query.length() > 0) {
            query.append('&');
        }
        query.append(name).append('=').append(URLEncoder.encode(value, StandardCharsets.UTF_8));
    }

    private WebSocketClientProtocolConfig protocolConfig(URI handshakeUri) {
        HttpHeaders headers = new DefaultHttpHeaders();
        if (config.origin() != null) {
            headers.set(HttpHeaderNames.ORIGIN, config.origin());
        }
        return WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(handshakeUri)
                .version(WebSocketVersion.V13)
                .allowExtensions(false)
                .customHeaders(headers)
                .maxFramePayloadLength(MAX_MESSAGE_BYTES)
                .handleCloseFrames(false)
                .sendCloseFrame(null)
                .dropPongFrames(true)
                .generateOriginHeader(false)
                .handshakeTimeoutMillis(timeoutMillis())
                .build();
    }

    private int timeoutMillis() {
        return (int) Math.min(config.connectTimeout().toMillis(), Integer.MAX_VALUE);
    }

    private SslContext sslContext() {
        if (sslContext == null) {
            try {
                sslContext = SslContextBuilder.forClient().endpointIdentificationAlgorithm("HTTPS").build();
            } catch (SSLException e) {
                throw new SwitchboardException("cannot set up TLS", e);
            }
        }
        return sslContext;
    }
}
