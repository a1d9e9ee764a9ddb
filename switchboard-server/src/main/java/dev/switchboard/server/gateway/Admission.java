package dev.switchboard.server.gateway;

import io.netty.channel.ChannelFutureListener;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Node-level admission: the WebSocket connection cap (kept below the process's open-file limit so
 * the node refuses politely with 503 instead of failing on EMFILE) and the draining flag set at
 * shutdown, which also turns readiness off.
 */
public final class Admission {
    private final int maxConnections;
    private final AtomicInteger webSockets = new AtomicInteger();
    private volatile boolean draining;
    /** One listener for every channel: a per-channel lambda would keep its handler alive as long as the connection. */
    private final ChannelFutureListener releaseOnClose = closed -> release();

    public Admission(int maxConnections) {
        this.maxConnections = maxConnections;
    }

    /** Reserves a slot for one WebSocket; false when full. Each true must be matched by {@link #release}. */
    public boolean tryAcquire() {
        while (true) {
            int current = webSockets.get();
            if (current >= maxConnections) {
                return false;
            }
            if (webSockets.compareAndSet(current, current + 1)) {
                return true;
            }
        }
    }

    /** Releases the slot when the channel closes. */
    public ChannelFutureListener releaseOnClose() {
        return releaseOnClose;
    }

    public void release() {
        if (webSockets.decrementAndGet() == 0) {
            synchronized (this) {
                notifyAll();
            }
        }
    }

    /** Waits until no WebSocket is open or the timeout passes; returns whether none is open. */
    public synchronized boolean awaitNoWebSockets(long timeoutMillis) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (webSockets.get() > 0) {
            long remainingMillis = java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
            if (remainingMillis <= 0) {
                return false;
            }
            wait(remainingMillis);
        }
        return true;
    }

    public int webSockets() {
        return webSockets.get();
    }

    public boolean isDraining() {
        return draining;
    }

    public void startDraining() {
        draining = true;
    }
}
