package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * Runs the chosen scenarios against each target in turn — one server at a time on this machine,
 * the same load generator for all — and writes results.json, report.md and the charts.
 */
public final class Harness {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HarnessOptions options;
    private final ArrayNode results = JSON.createArrayNode();

    public Harness(HarnessOptions options) {
        this.options = options;
    }

    public int run() throws Exception {
        Path out = options.out.toAbsolutePath();
        Path logs = out.resolve("logs");
        Files.createDirectories(logs);
        Scenarios scenarios = new Scenarios(options, logs);
        int failures = 0;
        // Scenario by scenario, each target in turn: the rows compared with each other (Switchboard's
        // latency and Bun's, say) are measured minutes apart, not a whole run apart, on a machine whose
        // speed drifts (see CpuSteal).
        for (String scenario : options.scenarios) {
            for (String target : options.targets) {
                if (!applies(scenario, target)) {
                    continue;
                }
                System.out.println("== " + scenario + " × " + target);
                try {
                    runOne(scenarios, scenario, target, out.resolve("work").resolve(target + "-" + scenario));
                } catch (Exception e) {
                    failures++;
                    System.out.println("   FAILED: " + e);
                    addRow(scenario, target, "", JSON.createObjectNode().put("error", e.toString()), -1, -1);
                }
            }
        }
        ObjectNode document = JSON.createObjectNode();
        document.put("finishedAt", Instant.now().toString());
        document.put("smoke", options.smoke);
        document.put("order", SCENARIO_BY_SCENARIO);
        document.set("settings", RunSettings.effective(options).toJson());
        document.set("machine", Machine.describe());
        document.set("results", results);
        Files.writeString(out.resolve("results.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document));
        Report report = new Report(document, options);
        Files.writeString(out.resolve("report.md"), report.markdown("charts/"));
        report.charts(out.resolve("charts"));
        if (options.publish) {
            Path docs = Path.of("docs");
            report.charts(docs.resolve("benchmarks"));
            Files.writeString(docs.resolve("BENCHMARKS.md"), report.benchmarksPage());
            Files.writeString(docs.resolve("benchmarks").resolve("results.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document));
        }
        System.out.println();
        System.out.println(report.markdown("charts/"));
        System.out.println("results: " + out.resolve("results.json") + (failures > 0 ? " (" + failures + " runs failed)" : ""));
        return failures == 0 ? 0 : 1;
    }

    /** How results.json says its rows were run (older files, without it, ran target by target). */
    static final String SCENARIO_BY_SCENARIO = "scenario by scenario";
    static final String SINGLE_NODE_THROUGHPUT = "durable 1:1, single node (SQLite)";
    /** The disk row that bounds the durable latency target from below (see {@link DiskProbe#groupCommit}). */
    static final String GROUP_COMMIT_FLOOR = "group commit of arrivals at %d/s: arrival to durable";
    static final String GROUP_COMMIT_BEFORE_DURABLE_LATENCY = ", right before the durable latency row";
    static final String GROUP_COMMIT_AFTER_DURABLE_LATENCY = ", right after the durable latency row";
    static final String CLUSTER_THROUGHPUT = "durable 1:1, 2 nodes (MariaDB + Redis), cross node";

    /** Durable chat, groups and the cluster exist only in Switchboard; the peers' equivalents are in-memory. */
    private static boolean applies(String scenario, String target) {
        return switch (scenario) {
            case "group", "throughput", "cluster", "scale", "disk" -> "switchboard".equals(target);
            default -> true;
        };
    }

    private void runOne(Scenarios scenarios, String scenario, String targetName, Path work) throws Exception {
        // A fresh directory per run: a data directory kept from an earlier run into the same --out would
        // hold that run's messages, and the load's client ids would all be resends, never delivered.
        deleteRecursively(work);
        Files.createDirectories(work);
        if ("cluster".equals(scenario)) {
            try (SwitchboardTarget cluster = SwitchboardTarget.cluster(options, options.serverJvmOptions, work, 2)) {
                // Same-node and cross-node pairs in one run each: the machine's spread between runs
                // minutes apart was larger than the hop (bench/analysis.md, "Cross-node hop").
                recordHop(scenario, targetName, "", () -> scenarios.hop(cluster, "chat"));
                recordHop(scenario, targetName, " (topic)", () -> scenarios.hop(cluster, "topic"));
                // Durable throughput of the cluster store, senders on one node and receivers on the other.
                record("throughput", targetName, CLUSTER_THROUGHPUT, () -> scenarios.throughput(cluster, 0, 1,
                        LocalServices.pids(options.mariadbUrl, options.redisUri)));
            }
            return;
        }
        if ("disk".equals(scenario)) {
            record(scenario, targetName, "fdatasync of a 4 KiB append", () -> DiskProbe.measure(work, options.smoke ? 100 : 2000));
            recordGroupCommitFloor(work, "");
            return;
        }
        if ("scale".equals(scenario)) {
            int nodes = options.smoke ? 2 : options.scaleNodes;
            try (SwitchboardTarget cluster = SwitchboardTarget.cluster(options, options.memoryJvmOptions, work, nodes)) {
                record(scenario, targetName, nodes + " nodes",
                        () -> scenarios.scale(cluster, options.smoke ? 400 : options.scaleConnections));
            }
            return;
        }
        String jvmOptions = "idle".equals(scenario) ? options.memoryJvmOptions : options.serverJvmOptions;
        try (Target target = "switchboard".equals(targetName) ? SwitchboardTarget.single(options, jvmOptions, work)
                : PeerTarget.start(targetName, options.peersDirectory.toAbsolutePath(), work, jvmOptions, options.serverIoThreads)) {
            switch (scenario) {
                case "idle" -> record(scenario, targetName, "", () -> scenarios.idle(target));
                case "handshake" -> record(scenario, targetName, target instanceof SwitchboardTarget ? "JWT HS256" : "no auth",
                        () -> scenarios.handshakes(target));
                case "latency" -> {
                    if (target instanceof SwitchboardTarget) {
                        // The disk's tail moves from one minute to the next (a group commit's p99 went from
                        // 3.4 to 0.5 ms in three minutes: bench/analysis.md), so the floor under this row
                        // is measured right before and right after it, beside the run's first probe.
                        recordGroupCommitFloor(work, GROUP_COMMIT_BEFORE_DURABLE_LATENCY);
                        record(scenario, targetName, "durable chat", () -> scenarios.latency(target, "chat"));
                        recordGroupCommitFloor(work, GROUP_COMMIT_AFTER_DURABLE_LATENCY);
                        record(scenario, targetName, "topic (ephemeral)", () -> scenarios.latency(target, "topic"));
                    } else {
                        record(scenario, targetName, "1:1 in memory", () -> scenarios.latency(target, "chat"));
                    }
                }
                case "fanout" -> record(scenario, targetName, "topic", () -> scenarios.fanout(target, "topic"));
                case "group" -> record(scenario, targetName, "durable group", () -> scenarios.fanout(target, "group"));
                case "throughput" -> record(scenario, targetName, SINGLE_NODE_THROUGHPUT, () -> scenarios.throughput(target, 0, 0));
                default -> throw new IllegalArgumentException("unknown scenario " + scenario);
            }
        }
    }

    /** Adds a {@code disk} row: the group-commit floor at the latency rate ({@link DiskProbe#groupCommit}). */
    private void recordGroupCommitFloor(Path directory, String when) throws Exception {
        record("disk", "switchboard", GROUP_COMMIT_FLOOR.formatted(options.latencyRate) + when,
                () -> DiskProbe.groupCommit(directory, options.latencyRate, options.smoke ? 200 : 10 * options.latencyRate));
    }

    /**
     * Runs one measurement and adds its row, with the machine's CPU steal and the kernel's reclaim CPU
     * while it ran (worker start and warm-up included).
     */
    private void record(String scenario, String target, String variant, Callable<ObjectNode> measurement) throws Exception {
        Measured measured = measure(measurement);
        addRow(scenario, target, variant, measured.figures(), measured.stealPercent(), measured.reclaimPercent());
    }

    /**
     * Runs one paired hop measurement ({@link Scenarios#hop}) and adds its two rows, "same node" and
     * "cross node" (+ {@code suffix}); the cross-node row carries the p99 added in each window.
     */
    private void recordHop(String scenario, String target, String suffix, Callable<ObjectNode> measurement) throws Exception {
        Measured measured = measure(measurement);
        ObjectNode paired = measured.figures();
        ObjectNode cross = (ObjectNode) paired.get("crossNode");
        cross.set("addedP99Micros", paired.get("addedP99Micros"));
        cross.set("roundsAddedP99Micros", paired.get("roundsAddedP99Micros"));
        addRow(scenario, target, "same node" + suffix, (ObjectNode) paired.get("sameNode"),
                measured.stealPercent(), measured.reclaimPercent());
        addRow(scenario, target, "cross node" + suffix, cross, measured.stealPercent(), measured.reclaimPercent());
    }

    private record Measured(ObjectNode figures, double stealPercent, double reclaimPercent) {
    }

    private static Measured measure(Callable<ObjectNode> measurement) throws Exception {
        CpuSteal.Sample before = CpuSteal.sample();
        long reclaimBefore = ReclaimCpu.ticks();
        ObjectNode figures = measurement.call();
        CpuSteal.Sample after = CpuSteal.sample();
        return new Measured(figures, CpuSteal.percentBetween(before, after),
                ReclaimCpu.percentBetween(reclaimBefore, ReclaimCpu.ticks(), before, after));
    }

    private void addRow(String scenario, String target, String variant, ObjectNode figures, double stealPercent,
                        double reclaimPercent) {
        ObjectNode row = JSON.createObjectNode();
        row.put("scenario", scenario);
        row.put("target", target);
        row.put("variant", variant);
        row.set("figures", figures);
        if (stealPercent >= 0) {
            row.put("cpuStealPercent", Math.round(stealPercent * 10) / 10.0);
        }
        if (reclaimPercent >= 0) {
            row.put("reclaimCpuPercent", Math.round(reclaimPercent * 100) / 100.0);
        }
        results.add(row);
        System.out.println("   " + target + " " + variant + ": " + figures);
    }

    /** Writes report.md and the charts (and with --publish the docs page) again from a results.json. */
    public static int render(HarnessOptions options, Path resultsFile) throws Exception {
        var document = JSON.readTree(resultsFile.toFile());
        Report report = new Report(document, options);
        Path out = options.out.toAbsolutePath();
        Files.createDirectories(out);
        Files.writeString(out.resolve("report.md"), report.markdown("charts/"));
        report.charts(out.resolve("charts"));
        if (options.publish) {
            Path docs = Path.of("docs");
            report.charts(docs.resolve("benchmarks"));
            Files.writeString(docs.resolve("BENCHMARKS.md"), report.benchmarksPage());
            Files.writeString(docs.resolve("benchmarks").resolve("results.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(document));
        }
        System.out.println(report.markdown("charts/"));
        return 0;
    }

    static List<String> targetOrder() {
        return List.of("switchboard", "bun", "ws", "socketio", "netty");
    }

    private static void deleteRecursively(Path directory) throws IOException {
        if (!Files.exists(directory)) {
            return;
        }
        try (var paths = Files.walk(directory)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }
}
