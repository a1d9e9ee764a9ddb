package dev.switchboard.server;

import dev.switchboard.server.cli.ServeCommand;
import dev.switchboard.server.cli.StoreBenchCommand;
import dev.switchboard.server.cli.TokenCommand;
import java.util.Properties;
import picocli.CommandLine;

/** Entry point: {@code java -jar switchboard.jar [serve] [options]}, {@code token}, {@code store-bench}. */
public final class Main {
    /** Netty's system property for the objects its recycler keeps per thread; 0 turns the recycler off. */
    static final String NETTY_RECYCLER_CAPACITY = "io.netty.recycler.maxCapacityPerThread";
    /** The older name of the same setting, which Netty still reads when the newer one is not set. */
    static final String NETTY_RECYCLER_CAPACITY_OLD_NAME = "io.netty.recycler.maxCapacity";

    private Main() {
    }

    public static void main(String[] args) {
        turnOffNettysRecyclerUnlessSet(System.getProperties()); // first: Netty reads it once, when its recycler is first loaded
        CommandLine commandLine = new CommandLine(new ServeCommand())
                .addSubcommand("token", new TokenCommand())
                .addSubcommand("store-bench", new StoreBenchCommand());
        int exitCode = commandLine.execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }

    /**
     * Sets {@value #NETTY_RECYCLER_CAPACITY} to 0 unless the operator gave it, or its older name
     * {@value #NETTY_RECYCLER_CAPACITY_OLD_NAME} (with {@code -D}): Netty then allocates the small objects
     * it would otherwise take from its recycler (above all the outbound buffer's entry for every frame
     * written) and lets them die young.
     *
     * @implNote Why. On a topic with 1,000 subscribers every delivery takes an entry; with several frames
     * in flight per subscriber thousands of entries go round, and the one the recycler hands back is
     * seldom still in the cache: taking it was 2.5% of the server's CPU samples over a fan-out row, on
     * the first write to the entry's state. A new object comes from the event loop's own allocation
     * buffer, already in the cache. Measured in eight alternating pairs of fan-out rows on one 2-core
     * benchmark machine whose speed swung within minutes: the server's own CPU per delivery (the
     * kernel's part left out) was lower without the recycler in six pairs of eight, by a median of
     * 0.26 µs of about 0.69 (bench/analysis.md). The cost is more garbage for the young generation,
     * which G1 collects without copying what is already dead.
     */
    static void turnOffNettysRecyclerUnlessSet(Properties systemProperties) {
        if (systemProperties.getProperty(NETTY_RECYCLER_CAPACITY) == null
                && systemProperties.getProperty(NETTY_RECYCLER_CAPACITY_OLD_NAME) == null) {
            systemProperties.setProperty(NETTY_RECYCLER_CAPACITY, "0");
        }
    }
}
