package dev.switchboard.server.gateway;

import io.netty.channel.Channel;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The file downloads one node serves at once ({@code files.maxDownloads}): each holds a connection, a
 * chunk of memory and reader-thread time, which the node's WebSocket traffic shares. A download takes a
 * slot when it starts and gives it back when its connection closes, however that happens.
 */
public final class DownloadSlots {
    private final int capacity;
    private final AtomicInteger taken = new AtomicInteger();

    public DownloadSlots(int capacity) {
        this.capacity = capacity;
    }

    /** Takes a slot for the download on {@code channel}, released when it closes; false when all are taken. */
    boolean tryTake(Channel channel) {
        while (true) {
            int current = taken.get();
            if (current >= capacity) {
                return false;
            }
            if (taken.compareAndSet(current, current + 1)) {
                channel.closeFuture().addListener(closed -> taken.decrementAndGet());
                return true;
            }
        }
    }

    public int taken() {
        return taken.get();
    }
}
