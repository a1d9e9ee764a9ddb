package dev.switchboard.bench.peer;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

/**
 * A plain Netty WebSocket server speaking the peers' minimal protocol (bench/peers/README.md): a
 * baseline for what the same platform does without Switchboard's work. It does what the Bun peer
 * does and nothing more (no authentication, durability, limits or metrics), on the same Netty, JVM
 * and event-loop count as Switchboard, so a figure it shares with Switchboard belongs to the
 * platform, and a gap between the two is Switchboard's own work.
 *
 * <p>Written the way a Netty user would write it: Netty's handshake and frame codecs, Jackson's
 * tree, a {@link io.netty.channel.group.ChannelGroup} per topic and per user for delivery.
 */
public final class NettyPeerServer implements AutoCloseable {
    private static final int MAX_HANDSHAKE_BYTES = 8192;
    /** Larger frames close the connection (1009); the peers' benchmark frames are well under 1 kB. */
    private static final int MAX_FRAME_BYTES = 65_536;

    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;
    private final Channel listener;

    private NettyPeerServer(EventLoopGroup acceptor, EventLoopGroup io, Channel listener) {
        this.acceptor = acceptor;
        this.io = io;
        this.listener = listener;
    }

    /** Binds {@code host:port} (0: any free port) with {@code ioThreads} event loops for the connections. */
    public static NettyPeerServer start(String host, int port, int ioThreads) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory handler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        Class<? extends ServerChannel> channelType = epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
        EventLoopGroup acceptor = new MultiThreadIoEventLoopGroup(1, handler);
        EventLoopGroup io = new MultiThreadIoEventLoopGroup(ioThreads, handler);
        PeerProtocolHandler protocol = new PeerProtocolHandler(new PeerDirectory(io.next()));
        WebSocketServerProtocolConfig webSocket = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws")
                .checkStartsWith(true) // the query string (/ws?user=…); UserParameter has checked the path
                .maxFramePayloadLength(MAX_FRAME_BYTES)
                .build();
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(acceptor, io)
                .channel(channelType)
                .option(ChannelOption.SO_BACKLOG, 4096)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(
                                new HttpServerCodec(),
                                new HttpObjectAggregator(MAX_HANDSHAKE_BYTES),
                                new UserParameter(),
                                new WebSocketServerProtocolHandler(webSocket),
                                protocol);
                    }
                });
        try {
            Channel listener = bootstrap.bind(new InetSocketAddress(host, port)).sync().channel();
            return new NettyPeerServer(acceptor, io, listener);
        } catch (Throwable e) { // also what sync() rethrows unchecked, a BindException among them
            acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            io.shutdownGracefully(0, 5, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        // No quiet period: this is the end of a benchmark or a test, and shutting the I/O loops down
        // closes the connections still open.
        acceptor.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 5, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
