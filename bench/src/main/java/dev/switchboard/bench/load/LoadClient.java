package dev.switchboard.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketClientProtocolHandler;
import io.netty.handler.codec.http.websocketx.WebSocketCloseStatus;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens load-generator sessions: epoll event loops (two by default — the generator must not be the
 * bottleneck, and on a 2-core machine it shares the CPU with the server), no compression, each
 * connection bound to one of the configured source addresses in turn (each address has its own
 * ~28k ephemeral ports).
 */
public final class LoadClient implements AutoCloseable {
    private final EventLoopGroup group;
    private final Class<? extends SocketChannel> channelType;
    private final String host;
    private final Dialect dialect;
    private final String[] sourceAddresses;
    private final AtomicInteger nextSource = new AtomicInteger();

    public LoadClient(String host, Dialect dialect, String[] sourceAddresses, int threads) {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        this.group = new MultiThreadIoEventLoopGroup(threads, io);
        this.channelType = epoll ? EpollSocketChannel.class : NioSocketChannel.class;
        this.host = host;
        this.dialect = dialect;
        this.sourceAddresses = sourceAddresses;
    }

    public Dialect dialect() {
        return dialect;
    }

    /**
     * Connects {@code user} to {@code port}; completes when the server's welcome arrived.
     *
     * @param timestampEvery read the embedded send time of every this many messages (1: each, as the latency
     *                       scenarios need; 0: none); the others reach the listener with no time
     * @param receive        start inbox delivery (Switchboard's {@code resume}); senders that only send skip it
     */
    public CompletableFuture<Session> open(int port, String user, int timestampEvery, boolean receive) {
        Session session = new Session(user, dialect, timestampEvery, receive);
        URI uri = URI.create("ws://" + host + ":" + port + dialect.path(user));
        WebSocketClientProtocolConfig config = WebSocketClientProtocolConfig.newBuilder()
                .webSocketUri(uri).version(WebSocketVersion.V13).allowExtensions(false)
                .customHeaders(new DefaultHttpHeaders()).maxFramePayloadLength(1 << 20)
                // The servers under test are trusted to send UTF-8; checking every byte of every frame
                // cost the generator CPU that the fan-out row's server needs.
                .withUTF8Validator(false)
                .handleCloseFrames(false).handshakeTimeoutMillis(30_000)
                .sendCloseFrame(WebSocketCloseStatus.NORMAL_CLOSURE).build();
        Bootstrap bootstrap = new Bootstrap().group(group).channel(channelType)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .option(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(256 * 1024, 1024 * 1024))
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpClientCodec(), new HttpObjectAggregator(65536),
                                new WebSocketClientProtocolHandler(config), session);
                    }
                });
        String source = sourceAddresses[Math.floorMod(nextSource.getAndIncrement(), sourceAddresses.length)];
        bootstrap.connect(new InetSocketAddress(host, port), new InetSocketAddress(source, 0)).addListener(connected -> {
            if (!connected.isSuccess()) {
                session.welcomed().completeExceptionally(connected.cause());
            }
        });
        return session.welcomed();
    }

    /**
     * A task running at a fixed rate.
     *
     * @param firstDueNanos when its first run is due, as a {@link System#nanoTime()} value: every later run is
     *                      due a whole number of periods after it (a fixed rate), however late each run starts
     * @param runs          cancel it to stop the runs
     */
    public record FixedRateTask(long firstDueNanos, ScheduledFuture<?> runs) {
    }

    /**
     * Runs {@code task} every {@code periodNanos} on one of the event loops, the first time after
     * {@code initialDelayNanos}, until the returned task is cancelled or this client closes.
     */
    public FixedRateTask scheduleAtFixedRate(Runnable task, long initialDelayNanos, long periodNanos) {
        // Read before scheduling: the event loop's own first deadline is then at least this late. Asking the
        // future for its delay afterwards raced with the loop: a caller descheduled between the two calls
        // got a time later than the real deadline, so runs seemed to come early (seen in CI under load).
        long firstDue = System.nanoTime() + initialDelayNanos;
        ScheduledFuture<?> runs = group.next().scheduleAtFixedRate(task, initialDelayNanos, periodNanos, TimeUnit.NANOSECONDS);
        return new FixedRateTask(firstDue, runs);
    }

    public EventLoopGroup group() {
        return group;
    }

    /** Closes every channel abruptly and stops the event loops. */
    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    static void closeQuietly(Channel channel) {
        if (channel != null) {
            channel.close();
        }
    }
}
