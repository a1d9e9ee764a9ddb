package dev.switchboard.bench;

import dev.switchboard.bench.harness.HarnessOptions;
import dev.switchboard.bench.harness.Harness;
import dev.switchboard.bench.load.LoadWorker;
import dev.switchboard.bench.load.WorkerOptions;
import dev.switchboard.bench.peer.NettyPeerServer;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * The benchmark tool: {@code run} measures Switchboard and its peers side by side and writes the
 * report; {@code load} is one load-generator process, started by {@code run}; {@code peer} is the
 * plain Netty peer server, a baseline of the same platform, also started by {@code run}.
 */
@Command(name = "switchboard-bench", mixinStandardHelpOptions = true,
        subcommands = {BenchMain.Run.class, BenchMain.Render.class, BenchMain.Load.class,
                BenchMain.Peer.class},
        description = "Benchmarks Switchboard against Node ws, Bun, Socket.IO and a plain Netty server (docs/BENCHMARKS.md).")
public final class BenchMain {

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }

    @Command(name = "run", mixinStandardHelpOptions = true, description = "Run scenarios against targets and write the report.")
    static final class Run implements Callable<Integer> {
        @Mixin
        HarnessOptions options;

        @Override
        public Integer call() throws Exception {
            return new Harness(options).run();
        }
    }

    @Command(name = "render", mixinStandardHelpOptions = true,
            description = "Write the report (and with --publish docs/BENCHMARKS.md) again from a results.json.")
    static final class Render implements Callable<Integer> {
        @Mixin
        HarnessOptions options;

        @CommandLine.Option(names = "--results", required = true, description = "a results.json written by run")
        java.nio.file.Path results;

        @Override
        public Integer call() throws Exception {
            return Harness.render(options, results);
        }
    }

    @Command(name = "load", mixinStandardHelpOptions = true, description = "One load-generator worker (started by run).")
    static final class Load implements Callable<Integer> {
        @Mixin
        WorkerOptions options;

        @Override
        public Integer call() throws Exception {
            new LoadWorker(options).run();
            return 0;
        }
    }

    @Command(name = "peer", mixinStandardHelpOptions = true,
            description = "The plain Netty peer server (target netty); prints LISTENING <port>, exits with status 0 on SIGTERM.")
    static final class Peer implements Callable<Integer> {
        @CommandLine.Option(names = "--host", defaultValue = "127.0.0.1", description = "address to listen on (default ${DEFAULT-VALUE})")
        String host;

        @CommandLine.Option(names = "--port", defaultValue = "0", description = "port, 0 for any free one (default ${DEFAULT-VALUE})")
        int port;

        @CommandLine.Option(names = "--io-threads", defaultValue = "1",
                description = "event loops for the connections, like Switchboard's server.ioThreads (default ${DEFAULT-VALUE})")
        int ioThreads;

        @Override
        public Integer call() throws Exception {
            NettyPeerServer server = NettyPeerServer.start(host, port, ioThreads);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                Runtime.getRuntime().halt(0); // SIGTERM is how the harness stops a peer, not a failure
            }, "peer-shutdown"));
            System.out.println("LISTENING " + server.port());
            System.out.flush();
            new CountDownLatch(1).await(); // until SIGTERM runs the hook and exits
            return 0;
        }
    }
}
