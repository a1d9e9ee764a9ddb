package dev.switchboard.server;

import dev.switchboard.server.cli.ServeCommand;
import dev.switchboard.server.cli.StoreBenchCommand;
import dev.switchboard.server.cli.TokenCommand;
import picocli.CommandLine;

/** Entry point: {@code java -jar switchboard.jar [serve] [options]}, {@code token}, {@code store-bench}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        CommandLine commandLine = new CommandLine(new ServeCommand())
                .addSubcommand("token", new TokenCommand())
                .addSubcommand("store-bench", new StoreBenchCommand());
        int exitCode = commandLine.execute(args);
        if (exitCode != 0) {
            System.exit(exitCode);
        }
    }
}
