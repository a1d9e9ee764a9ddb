package dev.switchboard.bench.harness;

import java.io.IOException;
import java.util.List;

/** A server under test: one or more processes listening on 127.0.0.1. */
interface Target extends AutoCloseable {

    /** "switchboard", "bun", "ws", "socketio", "netty". */
    String name();

    /** The load generator's dialect for it. */
    String dialect();

    /** The WebSocket port of each node. */
    List<Integer> ports();

    /** The process id of each node, whose CPU time the fan-out scenario reads. */
    List<Long> pids();

    /**
     * Called before each memory reading of the idle scenario: a runtime whose collector only runs
     * under allocation pressure (the JVM) is asked to collect, so handshake garbage it would reclaim
     * anyway is not counted as per-connection memory. No-op for the Node and Bun peers (their
     * collectors run on idle timers).
     */
    default void collectGarbage() throws IOException, InterruptedException {
    }

    /**
     * Bytes of live objects in all its processes after a full collection, where the runtime can tell
     * (the JVM's class histogram); -1 where it cannot (the Node and Bun peers). Steadier than the RSS slope on a
     * runtime that commits and returns heap in steps of megabytes.
     */
    default long liveHeapBytes() throws IOException, InterruptedException {
        return -1;
    }

    /** Resident memory of all its processes, in kB. */
    long rssKilobytes() throws IOException;

    @Override
    void close();
}
