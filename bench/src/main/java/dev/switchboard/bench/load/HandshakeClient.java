package dev.switchboard.bench.load;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.SocketProtocolFamily;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.nio.channels.spi.SelectorProvider;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Opens WebSocket sessions only to see them accepted, for the handshakes-per-second scenario: writes
 * the upgrade request, reads the {@code 101} answer and the frames up to the server's welcome, then
 * lets the caller reset the connection: SO_LINGER 0, so closing sends a TCP reset, with no WebSocket
 * close frame before it. A scenario opening tens of thousands of short connections must not leave
 * them all in TIME_WAIT, using up ephemeral ports, and measures the handshake, not a closing exchange.
 *
 * <p>Why not {@link LoadClient#open}: on a 2-core machine the generator shares the cores with the
 * server, so every microsecond it spends per handshake is one the server does not get. With Netty's
 * HTTP codec, aggregator and client handshaker (a pipeline built and rebuilt per connection, a new
 * random key and its SHA-1 per connection, request and response as header maps) the generator used
 * more CPU per handshake than the server it measured (bench/analysis.md). Here each user's request is
 * built once and written as bytes, and the answer is checked by searching bytes: the status line is
 * {@code 101} and {@code Sec-WebSocket-Accept} matches the key, computed once. The client's key is the
 * same for every connection: it only has to prove that the server speaks WebSocket, not keep a cache
 * from answering (there is none on loopback).
 */
public final class HandshakeClient implements AutoCloseable {
    private static final String WEBSOCKET_GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

    private final EventLoopGroup group;
    private final String host;
    private final int port;
    private final InetSocketAddress remote;
    private final Dialect dialect;
    private final InetSocketAddress[] sources;
    private final AtomicInteger nextSource = new AtomicInteger();
    private final String key;
    private final byte[] expectedAccept;
    /** Each user's upgrade request, built once (the scenario cycles over a fixed set of users); released by {@link #close}. */
    private final Map<String, ByteBuf> requests = new ConcurrentHashMap<>();
    private final Bootstrap bootstrap;

    /**
     * @param group the event loops to run on (the worker's {@link LoadClient#group()}); not closed here
     */
    public HandshakeClient(EventLoopGroup group, String host, int port, Dialect dialect, String[] sourceAddresses) {
        this.group = group;
        this.host = host;
        this.port = port;
        this.remote = new InetSocketAddress(host, port);
        if (remote.isUnresolved()) {
            throw new IllegalArgumentException("cannot resolve " + host);
        }
        this.dialect = dialect;
        this.sources = new InetSocketAddress[sourceAddresses.length];
        for (int i = 0; i < sourceAddresses.length; i++) {
            sources[i] = new InetSocketAddress(sourceAddresses[i], 0);
        }
        byte[] nonce = new byte[16];
        new SecureRandom().nextBytes(nonce);
        this.key = Base64.getEncoder().encodeToString(nonce);
        this.expectedAccept = acceptFor(key).getBytes(StandardCharsets.US_ASCII);
        // Sockets of the server address's own family: a dual-stack socket reaches an IPv4 address
        // through the kernel's IPv6 connect path, a detour on every connection.
        SocketProtocolFamily family = remote.getAddress() instanceof Inet6Address ? SocketProtocolFamily.INET6
                : SocketProtocolFamily.INET;
        boolean epoll = Epoll.isAvailable();
        this.bootstrap = new Bootstrap().group(group)
                .channelFactory(() -> epoll ? new EpollSocketChannel(family)
                        : new NioSocketChannel(SelectorProvider.provider(), family))
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_LINGER, 0)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 30_000)
                .handler(new ChannelInboundHandlerAdapter()); // replaced per connection
    }

    /** The {@code Sec-WebSocket-Accept} a server must answer {@code key} with (RFC 6455, section 4.2.2). */
    static String acceptFor(String key) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            byte[] digest = sha1.digest((key + WEBSOCKET_GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Connects {@code user}; completes with the channel once the server's welcome arrived, or
     * exceptionally if the upgrade was refused, the answer was not WebSocket, the connection ended
     * first, or no welcome came within {@value HandshakeHandler#TIMEOUT_SECONDS} s. Closing the
     * channel resets the connection. Call {@link #close} once no more are opened.
     */
    public CompletableFuture<Channel> open(String user) {
        CompletableFuture<Channel> welcomed = new CompletableFuture<>();
        ByteBuf request = requests.computeIfAbsent(user, name -> {
            byte[] bytes = requestBytes(name);
            return Unpooled.directBuffer(bytes.length).writeBytes(bytes);
        });
        InetSocketAddress source = sources[Math.floorMod(nextSource.getAndIncrement(), sources.length)];
        bootstrap.clone().handler(new HandshakeHandler(request, expectedAccept, dialect, welcomed))
                .connect(remote, source)
                .addListener(connected -> {
                    if (!connected.isSuccess()) {
                        welcomed.completeExceptionally(connected.cause());
                    }
                });
        return welcomed;
    }

    private byte[] requestBytes(String user) {
        return ("GET " + dialect.path(user) + " HTTP/1.1\r\n"
                + "Host: " + host + ":" + port + "\r\n"
                + "Upgrade: websocket\r\n"
                + "Connection: Upgrade\r\n"
                + "Sec-WebSocket-Key: " + key + "\r\n"
                + "Sec-WebSocket-Version: 13\r\n"
                + "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    /** The event loops this client runs on. */
    public EventLoopGroup group() {
        return group;
    }

    /** Releases the cached requests (a connection writing one holds its own reference until written). */
    @Override
    public void close() {
        requests.values().forEach(ByteBuf::release);
        requests.clear();
    }
}
