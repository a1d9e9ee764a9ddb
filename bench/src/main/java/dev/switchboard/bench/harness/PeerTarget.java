package dev.switchboard.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * One of the peers: Node {@code ws}, Bun's built-in server or Socket.IO from bench/peers, or
 * {@code netty}, the bare Netty server of this module ({@code switchboard-bench peer}) run with
 * Switchboard's JVM options and event-loop count.
 */
final class PeerTarget implements Target {
    private static final Pattern LISTENING = Pattern.compile("^LISTENING (\\d+)");

    private final String name;
    private final Proc process;
    private final int port;

    private PeerTarget(String name, Proc process, int port) {
        this.name = name;
        this.process = process;
        this.port = port;
    }

    /**
     * Starts peer {@code name}; {@code jvmOptions} and {@code ioThreads} apply to the Netty peer only,
     * which gets what a Switchboard node in the same scenario gets.
     */
    static PeerTarget start(String name, Path peers, Path logs, String jvmOptions, int ioThreads)
            throws IOException, InterruptedException {
        List<String> command = switch (name) {
            case "ws" -> List.of("node", peers.resolve("ws-server.mjs").toString());
            case "socketio" -> List.of("node", peers.resolve("socketio-server.mjs").toString());
            case "bun" -> List.of(bunBinary(peers).toString(), peers.resolve("bun-server.js").toString());
            case "netty" -> nettyCommand(jvmOptions, ioThreads);
            default -> throw new IllegalArgumentException("unknown peer " + name);
        };
        if (!"netty".equals(name) && !Files.isDirectory(peers.resolve("node_modules"))) {
            throw new IllegalStateException("peers are not installed: run `npm ci` in " + peers);
        }
        Proc process = new Proc(name, command, Map.of("PORT", "0"), logs.resolve(name + ".log"));
        int port = Integer.parseInt(process.awaitLine(LISTENING, 30).group(1));
        return new PeerTarget(name, process, port);
    }

    /** The Netty peer in a JVM of its own, from the harness's own class path. */
    private static List<String> nettyCommand(String jvmOptions, int ioThreads) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(Arrays.asList(jvmOptions.trim().split("\\s+")));
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "dev.switchboard.bench.BenchMain",
                "peer", "--io-threads", Integer.toString(ioThreads)));
        return command;
    }

    /** The Bun executable installed by npm (the {@code bun} package's platform binary). */
    static Path bunBinary(Path peers) {
        Path bin = peers.resolve("node_modules/.bin/bun");
        if (Files.exists(bin)) {
            return bin;
        }
        throw new IllegalStateException("Bun is not installed: run `npm ci` in " + peers);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String dialect() {
        return "socketio".equals(name) ? "socketio" : "plain";
    }

    @Override
    public List<Integer> ports() {
        return List.of(port);
    }

    @Override
    public List<Long> pids() {
        return List.of(process.pid());
    }

    /** The Netty peer is a JVM: asked to collect before a memory reading, as Switchboard is. */
    @Override
    public void collectGarbage() throws IOException, InterruptedException {
        if ("netty".equals(name)) {
            Jcmd.collectGarbage(process.pid());
        }
    }

    @Override
    public long liveHeapBytes() throws IOException, InterruptedException {
        return "netty".equals(name) ? Jcmd.liveHeapBytes(process.pid()) : -1;
    }

    @Override
    public long rssKilobytes() throws IOException {
        return process.rssKilobytes();
    }

    @Override
    public void close() {
        process.close();
    }
}
