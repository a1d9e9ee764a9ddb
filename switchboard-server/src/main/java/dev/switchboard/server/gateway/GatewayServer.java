package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.config.ServerConfig;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.util.concurrent.Future;
import java.io.File;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The listening socket, on the node's {@link EventLoops}.
 * {@link #stopAccepting} and {@link #drain} implement the first half of a graceful shutdown.
 */
public final class GatewayServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(GatewayServer.class);

    private final GatewayServices services;
    private final EventLoops loops;
    private static final long CLOSE_WAIT_MILLIS = 2_000;

    private Channel serverChannel;

    /** Accepts on {@code loops}; their owner closes them after {@link #close}. */
    public GatewayServer(GatewayServices services, EventLoops loops) {
        this.services = services;
        this.loops = loops;
    }

    /**
     * Read buffers of one fixed size, one sizing instance for all channels. Netty's default gives every
     * channel its own adaptive allocator and predictor (about 130 bytes on each idle connection); frames
     * here are small, and a larger burst simply takes more reads of the same loop iteration. The buffer is
     * pooled and held only during a read.
     */
    private static final FixedRecvByteBufAllocator RECEIVE_BUFFER_SIZING = new FixedRecvByteBufAllocator(4096);

    /** Binds and starts accepting; returns the bound port (useful with port 0). */
    public int start() throws InterruptedException {
        ServerConfig.Server config = services.config().server();
        int outboundBytes = services.config().limits().outboundQueueBytes();
        SslContext tls = sslContext(config); // built once: it reads and parses the certificate and key files
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(loops.acceptor(), loops.io())
                .channel(loops.serverChannelType())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.RCVBUF_ALLOCATOR, RECEIVE_BUFFER_SIZING)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
                        new WriteBufferWaterMark(outboundBytes / 2, outboundBytes))
                .childHandler(new GatewayInitializer(services, tls));
        serverChannel = bootstrap.bind(config.host(), config.port()).sync().channel();
        int port = ((InetSocketAddress) serverChannel.localAddress()).getPort();
        log.atInfo().setMessage("listening").addKeyValue("host", config.host()).addKeyValue("port", port)
                .addKeyValue("transport", loops.serverChannelType().getSimpleName())
                .addKeyValue("tls", tls != null).log();
        return port;
    }

    private static SslContext sslContext(ServerConfig.Server config) {
        if (config.tlsCertificate() == null || config.tlsCertificate().isBlank()) {
            return null;
        }
        try {
            return SslContextBuilder.forServer(new File(config.tlsCertificate()), new File(config.tlsPrivateKey())).build();
        } catch (SSLException e) {
            throw new IllegalArgumentException("cannot load TLS certificate/key: " + e.getMessage(), e);
        }
    }

    /** Not ready any more, and no new connections. */
    public void stopAccepting() {
        services.admission().startDraining();
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
    }

    /**
     * Closes every WebSocket with 1012 (service restart), spread at random over {@code windowMillis}
     * so reconnecting clients do not all land at once, and waits until they are gone or the deadline passes.
     *
     * @return true when every connection closed before the deadline
     */
    public boolean drain(long windowMillis, long deadlineMillis) throws InterruptedException {
        services.registry().forEach(connection -> connection.eventLoop().schedule(
                () -> connection.close(CloseCodes.SERVICE_RESTART, "service restart"),
                windowMillis <= 0 ? 0 : ThreadLocalRandom.current().nextLong(windowMillis), TimeUnit.MILLISECONDS));
        return services.admission().awaitNoWebSockets(deadlineMillis);
    }

    /**
     * Stops listening and cuts the connections {@link #drain} left open, each on its own loop, then
     * waits for one more pass of every loop: their close handlers (routes, topic subscriptions,
     * presence) have run before the caller closes the store and Redis. The loops themselves stay up
     * for their owner ({@link EventLoops}): the Redis connections run on them.
     */
    @Override
    public void close() {
        if (serverChannel != null) {
            serverChannel.close().awaitUninterruptibly();
        }
        List<Future<?>> closing = new ArrayList<>();
        services.registry().forEach(connection ->
                closing.add(connection.eventLoop().submit(() -> connection.channel().close())));
        closing.forEach(closed -> closed.awaitUninterruptibly(CLOSE_WAIT_MILLIS));
        // A close runs channelInactive in a task it queues on the same loop; this pass comes after it.
        List<Future<?>> passes = new ArrayList<>();
        loops.io().forEach(loop -> passes.add(loop.submit(() -> { })));
        passes.forEach(pass -> pass.awaitUninterruptibly(CLOSE_WAIT_MILLIS));
    }
}
