package dev.switchboard.server.gateway;

import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.util.concurrent.TimeUnit;

/**
 * The node's event loops: one that accepts, and {@code server.ioThreads} that carry the connections;
 * epoll when the native transport loads, NIO otherwise.
 *
 * <p>The I/O loops carry the node's Redis connections too (cluster mode): a publication or envelope
 * that Redis pushes to the node is read on a loop that then writes it to the local connections, with
 * no hand-off from a thread of Lettuce's; with one write per loop pass to Redis, the cluster's durable
 * path took about a quarter less CPU per message (bench/analysis.md, the cluster throughput
 * paragraph). Whoever creates them closes them, after everything that uses them: the gateway and the
 * cluster.
 */
public final class EventLoops implements AutoCloseable {
    private final boolean epoll;
    private final EventLoopGroup acceptor;
    private final EventLoopGroup io;

    private EventLoops(boolean epoll, int ioThreads) {
        this.epoll = epoll;
        IoHandlerFactory handler = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.acceptor = new MultiThreadIoEventLoopGroup(1, handler);
        this.io = new MultiThreadIoEventLoopGroup(ioThreads, handler);
    }

    /** {@code ioThreads} I/O loops on the native transport where it loads. */
    public static EventLoops create(int ioThreads) {
        return new EventLoops(Epoll.isAvailable(), ioThreads);
    }

    /** The loops every connection of the node is registered with. */
    public EventLoopGroup io() {
        return io;
    }

    EventLoopGroup acceptor() {
        return acceptor;
    }

    /** The client socket type these loops carry (for connections the node opens, such as Redis's). */
    public Class<? extends Channel> socketChannelType() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    /** Stops the loops, closing whatever is still registered with them. */
    @Override
    public void close() {
        acceptor.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        io.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
