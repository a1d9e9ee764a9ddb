package dev.switchboard.bench.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** One of the peers in bench/peers: Node {@code ws}, Bun's built-in server, or Socket.IO. */
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

    static PeerTarget start(String name, Path peers, Path logs) throws IOException, InterruptedException {
        List<String> command = switch (name) {
            case "ws" -> List.of("node", peers.resolve("ws-server.mjs").toString());
            case "socketio" -> List.of("node", peers.resolve("socketio-server.mjs").toString());
            case "bun" -> List.of(bunBinary(peers).toString(), peers.resolve("bun-server.js").toString());
            default -> throw new IllegalArgumentException("unknown peer " + name);
        };
        if (!Files.isDirectory(peers.resolve("node_modules"))) {
            throw new IllegalStateException("peers are not installed: run `npm ci` in " + peers);
        }
        Proc process = new Proc(name, command, Map.of("PORT", "0"), logs.resolve(name + ".log"));
        int port = Integer.parseInt(process.awaitLine(LISTENING, 30).group(1));
        return new PeerTarget(name, process, port);
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

    @Override
    public long rssKilobytes() throws IOException {
        return process.rssKilobytes();
    }

    @Override
    public void close() {
        process.close();
    }
}
