package dev.switchboard.bench.harness;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The JDK's {@code jcmd} against a JVM under test (Switchboard's nodes, the bare Netty peer): a
 * requested collection before a memory reading, and the live heap after one.
 */
final class Jcmd {
    private Jcmd() {
    }

    /** {@code jcmd <pid> GC.run} (G1 then also returns free heap to the OS). */
    static void collectGarbage(long pid) throws IOException, InterruptedException {
        run(pid, "GC.run");
    }

    /**
     * Bytes of live objects after a full collection ({@code GC.class_histogram}'s total line), or -1
     * if jcmd failed or printed something else.
     */
    static long liveHeapBytes(long pid) throws IOException, InterruptedException {
        String[] lines = run(pid, "GC.class_histogram").strip().split("\n");
        if (!lines[lines.length - 1].strip().startsWith("Total")) {
            return -1;
        }
        String[] fields = lines[lines.length - 1].strip().split("\\s+"); // "Total <instances> <bytes>"
        return Long.parseLong(fields[2]);
    }

    /** Runs {@code jcmd <pid> <command>} with this JVM's jcmd; returns its output, or "" if it failed. */
    private static String run(long pid, String command) throws IOException, InterruptedException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        Process process = new ProcessBuilder(jcmd.toString(), Long.toString(pid), command)
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        return process.waitFor() == 0 ? output : "";
    }
}
