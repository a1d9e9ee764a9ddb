package dev.switchboard.server.gateway;

import io.netty.util.concurrent.EventExecutor;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

/**
 * Keep-alive (R4) for every upgraded connection: per event loop, one periodic sweep over the loop's
 * connections instead of a timer per connection. A connection silent for the ping interval is pinged
 * (again after each further interval), and closed with 4002 once its silence reaches the timeout; the
 * sweep is also when a subclass checks its own deadlines (token expiry).
 *
 * <p>Thread-safety: each sweep and its list belong to one event loop and are touched only on it;
 * {@link #add} and {@link #remove} must be called there.
 *
 * @implNote Memory per idle connection is a published figure. A timer per connection was a scheduled
 * task in the loop's priority queue (about 80 bytes, and a second one for a token with an expiry), re-armed
 * on every firing. The sweep costs each connection two links in its handler (an intrusive list: no node
 * objects) and runs every {@link #sweepPeriodNanos()} (a tenth of the ping interval, at most one second),
 * touching each connection once: a ping, a 4002 close or a token-expiry close comes at most one period
 * late. At 20,000 connections a loop, a sweep is a few hundred microseconds a second.
 */
public final class KeepAlive {
    private static final long MAX_SWEEP_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1);

    private final long pingIntervalNanos;
    private final long pingTimeoutNanos;
    private final long sweepPeriodNanos;
    private final ConcurrentHashMap<EventExecutor, Sweep> sweeps = new ConcurrentHashMap<>();

    public KeepAlive(long pingIntervalMillis, long pingTimeoutMillis) {
        if (pingIntervalMillis <= 0 || pingTimeoutMillis <= 0) {
            throw new IllegalArgumentException("ping interval and timeout must be positive");
        }
        this.pingIntervalNanos = TimeUnit.MILLISECONDS.toNanos(pingIntervalMillis);
        this.pingTimeoutNanos = TimeUnit.MILLISECONDS.toNanos(pingTimeoutMillis);
        this.sweepPeriodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
                Math.min(MAX_SWEEP_PERIOD_NANOS, pingIntervalNanos / 10));
    }

    long pingIntervalNanos() {
        return pingIntervalNanos;
    }

    long pingTimeoutNanos() {
        return pingTimeoutNanos;
    }

    /** How often each loop's connections are checked: the most a keep-alive action can be late. */
    long sweepPeriodNanos() {
        return sweepPeriodNanos;
    }

    /** Starts watching {@code handler}, whose channel is on {@code loop}. On that loop only. */
    void add(WebSocketEndpointHandler handler, EventExecutor loop) {
        sweeps.computeIfAbsent(loop, Sweep::new).add(handler);
    }

    /** Stops watching {@code handler} (no effect if it is not watched). On its loop only. */
    void remove(WebSocketEndpointHandler handler, EventExecutor loop) {
        Sweep sweep = sweeps.get(loop);
        if (sweep != null) {
            sweep.remove(handler);
        }
    }

    /** The connections of one event loop, in an intrusive doubly linked list through their handlers. */
    private final class Sweep implements Runnable {
        private final EventExecutor loop;
        private WebSocketEndpointHandler head;
        private int size;
        /** The periodic task while the list is not empty; a loop with no connections has no timer. */
        private ScheduledFuture<?> task;

        Sweep(EventExecutor loop) {
            this.loop = loop;
        }

        void add(WebSocketEndpointHandler handler) {
            if (handler.keepAliveWatched) {
                return;
            }
            handler.keepAliveWatched = true;
            handler.keepAlivePrevious = null;
            handler.keepAliveNext = head;
            if (head != null) {
                head.keepAlivePrevious = handler;
            }
            head = handler;
            if (size++ == 0) {
                task = loop.scheduleAtFixedRate(this, sweepPeriodNanos, sweepPeriodNanos, TimeUnit.NANOSECONDS);
            }
        }

        void remove(WebSocketEndpointHandler handler) {
            if (!handler.keepAliveWatched) {
                return;
            }
            handler.keepAliveWatched = false;
            WebSocketEndpointHandler previous = handler.keepAlivePrevious;
            WebSocketEndpointHandler next = handler.keepAliveNext;
            if (previous != null) {
                previous.keepAliveNext = next;
            } else {
                head = next;
            }
            if (next != null) {
                next.keepAlivePrevious = previous;
            }
            handler.keepAlivePrevious = null;
            handler.keepAliveNext = null;
            if (--size == 0 && task != null) {
                task.cancel(false);
                task = null;
            }
        }

        @Override
        public void run() {
            long nowNanos = loop.ticker().nanoTime();
            long nowMillis = System.currentTimeMillis();
            WebSocketEndpointHandler handler = head;
            while (handler != null) {
                // Read the link first: a check may close the channel, and a close may unlink the handler.
                WebSocketEndpointHandler next = handler.keepAliveNext;
                handler.checkKeepAlive(nowNanos, nowMillis);
                handler = next;
            }
        }
    }
}
