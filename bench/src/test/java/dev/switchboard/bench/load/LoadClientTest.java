package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.handler.codec.http.websocketx.TextWebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerProtocolHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How the load generator's sessions open and end, against a minimal WebSocket server in the test (Netty's
 * own server handshake) that sends a {@code welcome} and records what arrives after it.
 */
class LoadClientTest {
    private final EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    private final List<String> framesReceived = new CopyOnWriteArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean serverSideClosed = new AtomicBoolean();
    private int port;

    @BeforeEach
    void startServer() throws InterruptedException {
        WebSocketServerProtocolConfig config = WebSocketServerProtocolConfig.newBuilder()
                .websocketPath("/ws").checkStartsWith(true).handleCloseFrames(false).build();
        Channel server = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(65536),
                                new WebSocketServerProtocolHandler(config), new RecordingEndpoint());
                    }
                })
                .bind("127.0.0.1", 0).sync().channel();
        port = ((InetSocketAddress) server.localAddress()).getPort();
    }

    @AfterEach
    void stopServer() {
        serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void theHandshakeClientIsWelcomed_eachTime_andItsCloseSendsNoCloseFrameAndResetsTheConnection() throws Exception {
        try (LoadClient client = new LoadClient("127.0.0.1", new SwitchboardDialect(), new String[] {"127.0.0.1"}, 1);
             HandshakeClient handshakes = new HandshakeClient(client.group(), "127.0.0.1", port, client.dialect(),
                     new String[] {"127.0.0.1"})) {
            handshakes.open("u1").get(10, TimeUnit.SECONDS).close().sync(); // the user's request is built here
            await().atMost(Duration.ofSeconds(10)).untilTrue(serverSideClosed);
            errors.clear();
            serverSideClosed.set(false);

            Channel channel = handshakes.open("u1").get(10, TimeUnit.SECONDS); // and written again here
            channel.close().sync();

            await().atMost(Duration.ofSeconds(10)).untilTrue(serverSideClosed);
            assertThat(framesReceived).doesNotContain("close");
            assertThat(errors).singleElement().isInstanceOf(IOException.class)
                    .extracting(Throwable::getMessage).asString().contains("reset");
        }
    }

    @Test
    void aFixedRateTask_neverRunsBeforeTheDueTimeItWasGiven_plusWholePeriods() throws Exception {
        long periodNanos = TimeUnit.MICROSECONDS.toNanos(200);
        List<Long> runTimes = new CopyOnWriteArrayList<>();
        try (LoadClient client = new LoadClient("127.0.0.1", new SwitchboardDialect(), new String[] {"127.0.0.1"}, 1)) {
            long firstDue = client.scheduleAtFixedRate(() -> runTimes.add(System.nanoTime()),
                    TimeUnit.MILLISECONDS.toNanos(5), periodNanos).firstDueNanos();

            await().atMost(Duration.ofSeconds(10)).until(() -> runTimes.size() >= 50);
            for (int run = 0; run < 50; run++) {
                assertThat(runTimes.get(run)).as("run %d", run).isGreaterThanOrEqualTo(firstDue + run * periodNanos);
            }
        }
    }

    @Test
    void anOrdinaryCloseSendsACloseFrameFirst() throws Exception {
        try (LoadClient client = new LoadClient("127.0.0.1", new SwitchboardDialect(), new String[] {"127.0.0.1"}, 1)) {
            Session session = client.open(port, "u1", 0, false).get(10, TimeUnit.SECONDS);
            session.channel().close();

            await().atMost(Duration.ofSeconds(10)).until(() -> framesReceived.contains("close"));
        }
    }

    /** Sends the welcome once the upgrade is done; records each frame's kind and each error. */
    private final class RecordingEndpoint extends SimpleChannelInboundHandler<WebSocketFrame> {
        @Override
        public void userEventTriggered(ChannelHandlerContext context, Object event) {
            if (event instanceof WebSocketServerProtocolHandler.HandshakeComplete) {
                context.writeAndFlush(new TextWebSocketFrame("{\"type\":\"welcome\",\"lastSeq\":0}"));
            }
            context.fireUserEventTriggered(event);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext context, WebSocketFrame frame) {
            framesReceived.add(frame instanceof CloseWebSocketFrame ? "close" : frame.getClass().getSimpleName());
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext context, Throwable cause) {
            errors.add(cause);
            context.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext context) {
            serverSideClosed.set(true);
        }
    }
}
