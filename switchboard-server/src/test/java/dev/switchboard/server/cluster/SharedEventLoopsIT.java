package dev.switchboard.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.gateway.EventLoops;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.testing.RedisProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.resource.Transports;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The node's Redis connections on its own I/O loops ({@link SharedEventLoops}), against a private
 * redis-server: replies and pushed messages are read on those loops, closing the connections leaves
 * the loops running for their owner, and loops of a transport Lettuce would not pick are not used.
 */
class SharedEventLoopsIT {
    @TempDir
    Path directory;
    private RedisProcess server;
    private EventLoops loops;

    @BeforeEach
    void start() throws Exception {
        server = RedisProcess.start(directory);
        loops = EventLoops.create(1); // the node's own, as SwitchboardServer makes them
    }

    @AfterEach
    void stop() {
        if (loops != null) {
            loops.close();
        }
        if (server != null) {
            server.close();
        }
    }

    /**
     * The thread a reply is read on: a BLPOP answered only after the callback is attached (a push from
     * another client), so the callback runs where Lettuce reads the reply, never on this test's thread.
     */
    private Thread threadThatReadsAReply(RedisConnections redis) throws Exception {
        CompletableFuture<Thread> repliedOn = new CompletableFuture<>();
        redis.async().blpop(10, "list").thenRun(() -> repliedOn.complete(Thread.currentThread()));
        RedisClient pusher = RedisClient.create(server.uri());
        try {
            pusher.connect().sync().rpush("list", "x");
            return repliedOn.get(10, TimeUnit.SECONDS);
        } finally {
            pusher.shutdown();
        }
    }

    @Test
    void repliesAndPushedMessagesAreReadOnTheNodesLoops_whichOutliveTheConnections() throws Exception {
        Thread loopThread = loops.io().submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        RedisConnections redis = new RedisConnections(server.uri(), new ServerMetrics(),
                new SharedEventLoops(loops.io(), loops.socketChannelType()));
        AtomicReference<Thread> pushedOn = new AtomicReference<>();
        try {
            assertThat(threadThatReadsAReply(redis)).isSameAs(loopThread);

            redis.subscriptions().addListener((channel, message) -> pushedOn.set(Thread.currentThread()));
            redis.subscriptions().subscribe("channel").get(5, TimeUnit.SECONDS);
            redis.publish("channel", new byte[] {1}).get(5, TimeUnit.SECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> pushedOn.get() != null);
            assertThat(pushedOn.get()).isSameAs(loopThread);
        } finally {
            redis.close();
        }

        assertThat(loops.io().isShuttingDown()).as("the loops' owner stops them, not Lettuce").isFalse();
        CompletableFuture<Boolean> stillRunning = new CompletableFuture<>();
        loops.io().execute(() -> stillRunning.complete(true));
        assertThat(stillRunning.get(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void loopsOfATransportLettuceWouldNotPick_areLeftAlone() throws Exception {
        Class<? extends io.netty.channel.Channel> other =
                Transports.socketChannelClass() == NioSocketChannel.class ? EpollSocketChannel.class : NioSocketChannel.class;
        Thread loopThread = loops.io().submit(Thread::currentThread).get(5, TimeUnit.SECONDS);
        RedisConnections redis = new RedisConnections(server.uri(), new ServerMetrics(), new SharedEventLoops(loops.io(), other));
        try {
            assertThat(threadThatReadsAReply(redis)).as("one of Lettuce's own threads").isNotSameAs(loopThread);
        } finally {
            redis.close();
        }
    }
}
