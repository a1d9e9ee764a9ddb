package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** A load-generator process ({@code BenchMain load …}) as seen from the harness. */
final class Worker implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("^READY (.*)");
    private static final Pattern RESULT = Pattern.compile("^RESULT (\\{.*)");
    private static final Pattern MEASURING = Pattern.compile("^MEASURING$");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static int started;

    private final Proc process;

    private Worker(Proc process) {
        this.process = process;
    }

    /**
     * Starts a worker with {@code arguments} (its {@code load} options) and waits until it is set up.
     *
     * @implNote {@code PerMethodTrapLimit=0} and {@code PerBytecodeTrapLimit=0} make the JIT compile
     * every branch of the worker's code instead of trapping on the ones not taken yet. Without them a
     * frame type first seen in a measured window threw the worker's hot methods back to slower
     * code for 2–3 s while C2 compiled them again, on the two cores the server shares. A
     * compilation log (-XX:+PrintCompilation) of the topic latency worker against Switchboard: at
     * 63 s, in the second window, the server's keep-alive ping reached receivers that only receive,
     * and the frame decoder, {@code channelRead} and the cumulator were made not entrant and compiled
     * again by 66 s; in a run against Bun, whose server sends no pings, nothing of the decoder was
     * recompiled in the windows. With the flags the run against Switchboard recompiled none of it.
     * The measured path itself is warmed too: {@code LoadWorker} records warm-up messages into a
     * histogram it throws away.
     */
    static Worker start(Path logs, long readySeconds, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms64m", "-Xmx1g", "-XX:+UseParallelGC", "-XX:PerMethodTrapLimit=0", "-XX:PerBytecodeTrapLimit=0",
                "-cp", System.getProperty("java.class.path"), "dev.switchboard.bench.BenchMain", "load"));
        command.addAll(List.of(arguments));
        int number;
        synchronized (Worker.class) {
            number = started++;
        }
        Proc process = new Proc("worker-" + number, command, Map.of(), logs.resolve("worker-" + number + ".log"));
        Worker worker = new Worker(process);
        try {
            process.awaitLine(READY, readySeconds);
        } catch (RuntimeException | InterruptedException e) {
            process.close();
            throw e;
        }
        return worker;
    }

    /** Source address number {@code index} (127.0.0.2, 127.0.0.3, …): each has its own ephemeral ports. */
    static String sourceAddress(int index) {
        return "127.0.0." + (2 + index);
    }

    void go() throws IOException {
        process.tell("GO");
    }

    /** Waits until a latency worker's warm-up is over and its measured windows begin. */
    void awaitMeasuring(long seconds) throws InterruptedException {
        process.awaitLine(MEASURING, seconds);
    }

    JsonNode awaitResult(long seconds) throws InterruptedException, IOException {
        return JSON.readTree(process.awaitLine(RESULT, seconds).group(1));
    }

    @Override
    public void close() {
        process.close();
    }
}
