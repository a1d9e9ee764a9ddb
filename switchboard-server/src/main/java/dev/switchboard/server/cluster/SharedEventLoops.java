package dev.switchboard.server.cluster;

import io.lettuce.core.resource.EventLoopGroupProvider;
import io.lettuce.core.resource.Transports;
import io.netty.channel.Channel;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ImmediateEventExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Lettuce's connections on the node's own I/O loops instead of threads of their own. Lettuce never
 * stops them: their owner does, after the Redis connections are closed.
 *
 * @param group       the node's I/O loops
 * @param channelType the socket channel those loops run (epoll's or NIO's); Lettuce must pick the same
 */
public record SharedEventLoops(EventLoopGroup group, Class<? extends Channel> channelType) {

    /** True when Lettuce would open {@link #channelType} sockets, the kind these loops can carry. */
    boolean fitLettuce() {
        return Transports.socketChannelClass() == channelType;
    }

    EventLoopGroupProvider provider() {
        int threads = 0;
        for (var ignored : group) {
            threads++;
        }
        int loops = threads;
        return new EventLoopGroupProvider() {
            @Override
            @SuppressWarnings("unchecked")
            public <T extends EventLoopGroup> T allocate(Class<T> type) {
                return (T) group; // used as an EventLoopGroup only (AbstractRedisClient's bootstrap)
            }

            @Override
            public int threadPoolSize() {
                return loops;
            }

            @Override
            public Future<Boolean> release(EventExecutorGroup eventLoopGroup, long quietPeriod, long timeout, TimeUnit unit) {
                return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
            }

            @Override
            public Future<Boolean> shutdown(long quietPeriod, long timeout, TimeUnit timeUnit) {
                return ImmediateEventExecutor.INSTANCE.newSucceededFuture(true);
            }
        };
    }
}
