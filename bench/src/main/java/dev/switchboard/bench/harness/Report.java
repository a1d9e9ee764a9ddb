package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;

/** Turns a run's results into Markdown tables, PNG charts, and the docs/BENCHMARKS.md page. */
final class Report {
    private final JsonNode document;
    /** What the run was measured with (results.json's settings). */
    private final RunSettings settings;

    Report(JsonNode document, HarnessOptions options) {
        this.document = document;
        this.settings = RunSettings.read(document, options);
    }

    /** Whether any row of {@code scenario} has the figure: results from before it was measured have no column for it. */
    private boolean anyFigure(String scenario, String figure) {
        return rows(scenario).stream().anyMatch(row -> row.path("figures").has(figure));
    }

    private List<JsonNode> rows(String scenario) {
        List<JsonNode> rows = new ArrayList<>();
        for (JsonNode row : document.get("results")) {
            if (row.get("scenario").asText().equals(scenario)) {
                rows.add(row);
            }
        }
        rows.sort(java.util.Comparator.comparingInt(row -> Harness.targetOrder().indexOf(row.get("target").asText())));
        return rows;
    }

    private JsonNode find(String scenario, String target, Predicate<String> variant) {
        for (JsonNode row : rows(scenario)) {
            if (row.get("target").asText().equals(target) && variant.test(row.get("variant").asText())
                    && !row.get("figures").has("error")) {
                return row.get("figures");
            }
        }
        return null;
    }

    /** "received / sent" over every latency window, or of the reported one in results recorded before the totals. */
    private static String receivedOfSent(JsonNode figures) {
        return figures.has("sentAllRounds")
                ? figures.get("receivedAllRounds").asText() + " / " + figures.get("sentAllRounds").asText()
                : figures.get("received").asText() + " / " + figures.get("sent").asText();
    }

    /**
     * How many of the row's measured messages the latency worker sent more than 1 ms after their
     * intended time, at least, of all it sent: late before the server saw them ({@code LateSends}).
     */
    private static String lateSends(JsonNode figures) {
        if (!figures.has("lateSends")) {
            return "–";
        }
        long late = figures.get("lateSends").asLong();
        long sent = figures.path("sentAllRounds").asLong();
        return String.format(Locale.ROOT, "%,d of %,d (%.2f%%)", late, sent, sent > 0 ? 100.0 * late / sent : 0.0);
    }

    /** Each latency window's p99 in ms, or a dash for results recorded before windows existed. */
    private static String windowP99s(JsonNode values) {
        if (values == null || !values.isArray()) {
            return "–";
        }
        List<String> all = new ArrayList<>();
        values.forEach(value -> all.add(ms(value)));
        return String.join(", ", all);
    }

    /** The per-round slopes in kB, or a dash for results recorded before rounds existed. */
    private static String rounds(JsonNode values) {
        if (values == null || !values.isArray()) {
            return "–";
        }
        List<String> parts = new ArrayList<>();
        values.forEach(value -> parts.add(String.format(Locale.ROOT, "%.2f", value.asDouble() / 1000)));
        return String.join(", ", parts);
    }

    String markdown(String chartDirectory) {
        StringBuilder md = new StringBuilder();
        table(md, "disk", "Disk under the data directory: time to make a small append durable (the floor under durable latency)",
                new String[] {"target", "operation", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "samples"},
                f -> new String[] {ms(f.get("p50Micros")), ms(f.get("p99Micros")), ms(f.get("p999Micros")),
                        ms(f.get("maxMicros")), f.get("count").asText()});
        table(md, "idle", "Memory per idle connection (server RSS slope, median of the rounds)",
                new String[] {"target", "connections", "RSS at first / all (MB)", "per connection", "all rounds (kB)",
                        "live heap per connection (JVM)"},
                f -> new String[] {f.get("connectionsFirst").asText() + " → " + f.get("connections").asText(),
                        mb(f.get("rssFirstKb")) + " / " + mb(f.get("rssKb")),
                        String.format(Locale.ROOT, "%.2f kB", f.get("bytesPerConnection").asDouble() / 1000),
                        rounds(f.get("roundsBytesPerConnection")),
                        f.has("liveHeapBytesPerConnection")
                                ? String.format(Locale.ROOT, "%.2f kB", f.get("liveHeapBytesPerConnection").asDouble() / 1000) : "–"});
        chart(md, chartDirectory, "memory.png", "idle");
        table(md, "handshake", "WebSocket handshakes per second (64 in flight)",
                new String[] {"target", "auth", "handshakes/s", "failed", "server cores (µs per handshake" + kernelHeader("handshake", "Handshake") + ")",
                        "generator cores (µs per handshake" + kernelHeader("handshake", "Handshake") + ")"},
                f -> new String[] {BarChart.format(f.get("perSecond").asDouble()), f.get("failed").asText(),
                        cores(f, "server", "Handshake"), cores(f, "generator", "Handshake")});
        chart(md, chartDirectory, "handshakes.png", "handshake");
        // Results from before the harness read the node's store histograms have no such column.
        boolean storeColumn = anyFigure("latency", "storeCommitP99Micros");
        boolean writesColumn = anyFigure("latency", "storeWriteP99Micros");
        // Results from before the harness read them at the end of the warm-up cover the warm-up too.
        String storeSpan = rows("latency").stream().anyMatch(row -> row.path("figures").path("storeFiguresWarmupExcluded").asBoolean())
                ? "(measured windows)" : "(warm-up included)";
        // Results from before the worker counted its late sends have no such column.
        boolean lateSendsColumn = anyFigure("latency", "lateSends");
        List<String> latencyHeader = new ArrayList<>(List.of("target", "path", "rate/s", "p50 ms", "p99 ms", "p99.9 ms",
                "max ms", "received / sent", "p99 of every window (ms)"));
        if (lateSendsColumn) {
            latencyHeader.add("generator's sends > 1 ms late");
        }
        if (storeColumn) {
            latencyHeader.add("node's commits p99 / p99.9 ms " + storeSpan);
        }
        if (writesColumn) {
            latencyHeader.add("node's writes, submitted to committed, p99 / p99.9 ms " + storeSpan);
        }
        table(md, "latency", "1:1 latency at a fixed rate (corrected for coordinated omission; the window with the median p99)",
                latencyHeader.toArray(String[]::new), f -> {
                    List<String> cells = new ArrayList<>(List.of(BarChart.format(f.get("rate").asDouble()), ms(f.get("p50Micros")),
                            ms(f.get("p99Micros")), ms(f.get("p999Micros")), ms(f.get("maxMicros")), receivedOfSent(f),
                            windowP99s(f.get("roundsP99Micros"))));
                    if (lateSendsColumn) {
                        cells.add(lateSends(f));
                    }
                    if (storeColumn) {
                        cells.add(f.has("storeCommitP99Micros")
                                ? "≤ " + ms(f.get("storeCommitP99Micros")) + " / ≤ " + ms(f.get("storeCommitP999Micros")) : "–");
                    }
                    if (writesColumn) {
                        cells.add(f.has("storeWriteP99Micros")
                                ? "≤ " + ms(f.get("storeWriteP99Micros")) + " / ≤ " + ms(f.get("storeWriteP999Micros")) : "–");
                    }
                    return cells.toArray(String[]::new);
                });
        chart(md, chartDirectory, "latency.png", "latency");
        table(md, "fanout", "Topic fan-out: one topic, one publisher",
                new String[] {"target", "kind", "subscribers", "delivered/s", "p50 ms", "p99 ms",
                        "server cores (µs per delivery" + kernelHeader("fanout", "Delivery") + ")",
                        "generator cores (µs per delivery" + kernelHeader("fanout", "Delivery") + ")"},
                f -> new String[] {f.get("subscribers").asText(), BarChart.format(f.get("deliveredPerSecond").asDouble()),
                        ms(f.get("p50Micros")), ms(f.get("p99Micros")), cores(f, "server", "Delivery"), cores(f, "generator", "Delivery")});
        chart(md, chartDirectory, "fanout.png", "fanout");
        table(md, "group", "Durable group fan-out (stored per member, then delivered)",
                new String[] {"target", "kind", "members", "delivered/s", "p50 ms", "p99 ms"},
                f -> new String[] {f.get("subscribers").asText(), BarChart.format(f.get("deliveredPerSecond").asDouble()),
                        ms(f.get("p50Micros")), ms(f.get("p99Micros"))});
        // Results from before the harness read the cluster's database and Redis have no such column.
        boolean servicesColumn = anyFigure("throughput", "servicesCores");
        String perMessage = "(µs per message" + kernelHeader("throughput", "Message") + ")";
        List<String> throughputHeader = new ArrayList<>(List.of("target", "kind", "persisted (acknowledged)/s", "delivered/s",
                "Switchboard nodes' cores " + perMessage, "of which store writers")); // its cells as the column before
        if (servicesColumn) {
            throughputHeader.add("local MariaDB and Redis cores " + perMessage);
        }
        throughputHeader.add("generator cores " + perMessage);
        table(md, "throughput", "Durable chat throughput (" + Scenarios.throughputPairs(document.path("smoke").asBoolean())
                        + " pairs, " + settings.throughputWindow() + " unacknowledged sends each)",
                throughputHeader.toArray(String[]::new), f -> {
                    List<String> cells = new ArrayList<>(List.of(BarChart.format(f.get("acknowledgedPerSecond").asDouble()),
                            BarChart.format(f.get("deliveredPerSecond").asDouble()), cores(f, "server", "Message"),
                            cores(f, "storeWriter", "Message")));
                    if (servicesColumn) {
                        cells.add(cores(f, "services", "Message"));
                    }
                    cells.add(cores(f, "generator", "Message"));
                    return cells.toArray(String[]::new);
                });
        boolean clusterLateSends = anyFigure("cluster", "lateSends");
        List<String> clusterHeader = new ArrayList<>(List.of("target", "path", "rate/s", "p50 ms", "p99 ms", "p99.9 ms",
                "max ms", "received / sent", "p99 of every window (ms)", "p99 added by the hop, every window (ms)"));
        if (clusterLateSends) {
            clusterHeader.add("generator's sends > 1 ms late");
        }
        table(md, "cluster", clusterTitle(), clusterHeader.toArray(String[]::new), f -> {
            List<String> cells = new ArrayList<>(List.of(BarChart.format(f.get("rate").asDouble()), ms(f.get("p50Micros")),
                    ms(f.get("p99Micros")), ms(f.get("p999Micros")), ms(f.get("maxMicros")), receivedOfSent(f),
                    windowP99s(f.get("roundsP99Micros")), windowP99s(f.get("roundsAddedP99Micros"))));
            if (clusterLateSends) {
                cells.add(lateSends(f));
            }
            return cells.toArray(String[]::new);
        });
        table(md, "scale", "Connections held across gateway nodes",
                new String[] {"target", "nodes", "held", "failed", "open time s", "RSS all nodes (MB)"},
                f -> new String[] {f.get("held").asText(), f.get("failed").asText(),
                        String.format(Locale.ROOT, "%.1f", f.get("openSeconds").asDouble()), mb(f.get("rssKb"))});
        md.append(targetsTable());
        return md.toString();
    }

    private interface Cells {
        String[] of(JsonNode figures);
    }

    private void table(StringBuilder md, String scenario, String title, String[] header, Cells cells) {
        List<JsonNode> rows = rows(scenario);
        if (rows.isEmpty()) {
            return;
        }
        boolean stealColumn = rows.stream().anyMatch(row -> row.has("cpuStealPercent"));
        boolean reclaimColumn = rows.stream().anyMatch(row -> row.has("reclaimCpuPercent"));
        md.append("### ").append(title).append("\n\n|");
        for (String column : header) {
            md.append(' ').append(column).append(" |");
        }
        if (stealColumn) {
            md.append(" CPU steal |");
        }
        if (reclaimColumn) {
            md.append(" reclaim CPU |");
        }
        md.append("\n|");
        md.append("---|".repeat(header.length + (stealColumn ? 1 : 0) + (reclaimColumn ? 1 : 0))).append('\n');
        boolean variantColumn = header.length > 1 && !"connections".equals(header[1]) && !"nodes".equals(header[1])
                && !"persisted (acknowledged)/s".equals(header[1]) && !"subscribers".equals(header[1]);
        for (JsonNode row : rows) {
            JsonNode figures = row.get("figures");
            md.append("| ").append(row.get("target").asText());
            if ("scale".equals(scenario)) {
                md.append(" | ").append(row.get("variant").asText());
            } else if (variantColumn) {
                md.append(" | ").append(row.get("variant").asText());
            }
            if (figures.has("error")) {
                md.append(" | failed: ").append(figures.get("error").asText().replace('|', '/')).append(" |\n");
                continue;
            }
            for (String cell : cells.of(figures)) {
                md.append(" | ").append(cell);
            }
            if (stealColumn) {
                md.append(" | ").append(row.has("cpuStealPercent")
                        ? String.format(Locale.ROOT, "%.1f%%", row.get("cpuStealPercent").asDouble()) : "–");
            }
            if (reclaimColumn) {
                md.append(" | ").append(row.has("reclaimCpuPercent")
                        ? String.format(Locale.ROOT, "%.2f%%", row.get("reclaimCpuPercent").asDouble()) : "–");
            }
            md.append(" |\n");
        }
        md.append('\n');
    }

    private void chart(StringBuilder md, String directory, String file, String scenario) {
        if (!rows(scenario).isEmpty()) {
            md.append("![").append(scenario).append("](").append(directory).append(file).append(")\n\n");
        }
    }

    void charts(Path directory) throws IOException {
        bars(directory.resolve("memory.png"), "Server memory per idle connection", "kB", "idle",
                List.of("kB per connection"), f -> new double[] {f.get("bytesPerConnection").asDouble() / 1000});
        bars(directory.resolve("handshakes.png"), "WebSocket handshakes per second", "handshakes/s", "handshake",
                List.of("handshakes/s"), f -> new double[] {f.get("perSecond").asDouble()});
        bars(directory.resolve("latency.png"), "1:1 latency percentiles at " + settings.latencyRate() + " msg/s", "ms", "latency",
                List.of("p50", "p99", "p99.9"), f -> new double[] {f.get("p50Micros").asDouble() / 1000,
                        f.get("p99Micros").asDouble() / 1000, f.get("p999Micros").asDouble() / 1000});
        bars(directory.resolve("fanout.png"), "Topic fan-out, delivered messages per second", "messages/s", "fanout",
                List.of("delivered/s"), f -> new double[] {f.get("deliveredPerSecond").asDouble()});
    }

    private interface Values {
        double[] of(JsonNode figures);
    }

    private void bars(Path file, String title, String unit, String scenario, List<String> series, Values values) throws IOException {
        List<String> groups = new ArrayList<>();
        List<double[]> data = new ArrayList<>();
        for (JsonNode row : rows(scenario)) {
            if (row.get("figures").has("error")) {
                continue;
            }
            String variant = row.get("variant").asText();
            String shortVariant = !"latency".equals(scenario) || variant.contains("memory") ? ""
                    : variant.startsWith("durable") ? " durable" : " topic";
            groups.add(row.get("target").asText() + shortVariant);
            data.add(values.of(row.get("figures")));
        }
        if (!groups.isEmpty()) {
            BarChart.write(file, title, unit, groups, series, data.toArray(double[][]::new));
        }
    }

    /** The targets next to what this run measured. */
    String targetsTable() {
        StringBuilder md = new StringBuilder("### Targets\n\n| figure | target | measured | met |\n|---|---|---|---|\n");
        JsonNode idle = find("idle", "switchboard", v -> true);
        // Judged on the larger of the RSS slope and the live heap: the slope of a JVM's RSS can read low.
        target(md, "server memory per idle connection (larger of RSS slope and live heap)", "≤ 2.0 kB",
                idle == null ? null : Math.max(idle.get("bytesPerConnection").asDouble(),
                        idle.path("liveHeapBytesPerConnection").asDouble(0)) / 1000, value -> value <= 2.0, "%.2f kB");
        JsonNode fanout = find("fanout", "switchboard", v -> true);
        JsonNode bunFanout = find("fanout", "bun", v -> true);
        Double ratio = fanout == null || bunFanout == null ? null
                : fanout.get("deliveredPerSecond").asDouble() / bunFanout.get("deliveredPerSecond").asDouble();
        target(md, "topic fan-out, 1 topic × " + settings.fanoutSubscribers() + " subscribers",
                "≥ 1.5 × Bun", ratio, value -> value >= 1.5, "%.2f × Bun");
        JsonNode durable = find("latency", "switchboard", v -> v.startsWith("durable"));
        target(md, "1:1 latency, durable chat, p99", "≤ 2 ms",
                durable == null ? null : durable.get("p99Micros").asDouble() / 1000, value -> value <= 2.0, "%.2f ms");
        JsonNode topic = find("latency", "switchboard", v -> v.startsWith("topic"));
        JsonNode bunLatency = find("latency", "bun", v -> true);
        Double topicVsBun = topic == null || bunLatency == null ? null
                : topic.get("p99Micros").asDouble() / bunLatency.get("p99Micros").asDouble();
        target(md, "1:1 latency, ephemeral path (topic), p99", "≤ Bun's", topicVsBun, value -> value <= 1.0, "%.2f × Bun's");
        JsonNode handshake = find("handshake", "switchboard", v -> true);
        target(md, "handshakes/s with JWT, one node", "≥ 10,000",
                handshake == null ? null : handshake.get("perSecond").asDouble(), value -> value >= 10_000, "%.0f/s");
        JsonNode throughput = find("throughput", "switchboard", Harness.SINGLE_NODE_THROUGHPUT::equals);
        target(md, "durable chat throughput, single node (SQLite)", "≥ 50,000 msg/s",
                throughput == null ? null : throughput.get("acknowledgedPerSecond").asDouble(), value -> value >= 50_000, "%.0f msg/s");
        JsonNode clusterThroughput = find("throughput", "switchboard", Harness.CLUSTER_THROUGHPUT::equals);
        target(md, "durable chat throughput, cluster (MariaDB)", "≥ 20,000 msg/s",
                clusterThroughput == null ? null : clusterThroughput.get("acknowledgedPerSecond").asDouble(),
                value -> value >= 20_000, "%.0f msg/s");
        JsonNode scale = find("scale", "switchboard", v -> true);
        target(md, "connections on this machine", "≥ 100,000 across 6 nodes",
                scale == null ? null : scale.get("held").asDouble(), value -> value >= 100_000, "%.0f");
        // The hop on the ephemeral path: on the durable path the store's commit time (MariaDB) dominates and varies more than the hop.
        JsonNode same = find("cluster", "switchboard", "same node (topic)"::equals);
        JsonNode cross = find("cluster", "switchboard", "cross node (topic)"::equals);
        target(md, "cross-node hop, p99 added (topic path)", "≤ 1 ms", same == null || cross == null ? null
                : hopAddedMicros(same, cross) / 1000, value -> value <= 1.0, "%.2f ms");
        return md.append('\n').toString();
    }

    /**
     * The p99 the hop adds: the median of the per-window differences where both paths were measured in
     * the same windows ({@link Scenarios#hop}); in results of earlier runs, which measured the two paths
     * one after the other, the difference of their reported p99s.
     */
    static double hopAddedMicros(JsonNode sameNode, JsonNode crossNode) {
        return crossNode.has("addedP99Micros") ? crossNode.get("addedP99Micros").asDouble()
                : crossNode.get("p99Micros").asDouble() - sameNode.get("p99Micros").asDouble();
    }

    /** The cluster table's title: how its two paths were measured (in one run since the paired hop). */
    private String clusterTitle() {
        boolean paired = anyFigure("cluster", "addedP99Micros");
        return "Cluster hop: two nodes over Redis and MariaDB, " + (paired
                ? "same-node and cross-node pairs taking turns in one run, at half the rate each (latency: the window with"
                        + " the median p99; the hop's added p99 is the median of the windows' differences)"
                : "same rate (latency: the window with the median p99)");
    }

    private static void target(StringBuilder md, String figure, String goal, Double value, Predicate<Double> met, String format) {
        md.append("| ").append(figure).append(" | ").append(goal).append(" | ")
                .append(value == null ? "not measured" : String.format(Locale.ROOT, format, value)).append(" | ")
                .append(value == null ? "–" : met.test(value) ? "yes" : "**no**").append(" |\n");
    }

    /** docs/BENCHMARKS.md: what was measured, on what, how to reproduce, then the tables and charts. */
    String benchmarksPage() {
        JsonNode machine = document.get("machine");
        return """
                # Benchmarks

                Measured by the project's own harness (`bench/`), Switchboard and its peers one after another on
                the same machine with the same Netty load generator, %s. Generated by the harness; do not edit by hand.

                **Machine:** %s, %s cores, %s RAM, Linux %s; %s; Node %s.
                **Run finished:** %s%s.

                **Reproduce** (builds everything, installs the peers, runs every scenario, rewrites this page):

                ```
                ./mvnw -B -q -Pquick package && (cd bench/peers && npm ci) \\
                  && java -jar bench/target/switchboard-bench.jar run --publish
                ```

                **Settings.** Switchboard: one node with `server.ioThreads: %s` (event-loop threads: each peer runs one
                event loop, and the load generator needs the other core), embedded SQLite store (`synchronous=FULL`), JVM `%s`
                (`%s` where memory is measured: idle and scale, so the heap hands freed memory back), rate
                limits raised for the load; durable chat means stored and acknowledged before delivery. Peers
                (`bench/peers`, see its README): Node `ws`, Bun's built-in server, Socket.IO (websocket transport)%s,
                all in memory, no auth, no durability, no compression. Load generator: Java/Netty, epoll, 2 event
                loops per process, every branch compiled (`-XX:PerMethodTrapLimit=0`), connections spread over source addresses 127.0.0.2 …, at most 16,000 sockets per
                process. Latency is receive time minus the *intended* send time of a fixed schedule laid on the sender's 200 µs tick (HdrHistogram;
                coordinated omission corrected), in %s consecutive windows of %s s; the window with the median p99 is
                reported, with every window's p99 beside it.%s Client and servers share the machine's 2 cores, so every figure
                includes the load generator's own CPU use. Every run is preceded by %s s of unmeasured warm-up%s, for
                every target alike. Idle memory is the server's RSS slope between two connection counts, after a
                warm-up round of connections, in %s rounds, each with users new to the server, of which the median
                is reported (RSS moves by a few MB between rounds); for the JVM a collection is requested (`jcmd GC.run`) before each
                reading, since its collector would otherwise only run under allocation pressure (the peers'
                collectors run on idle timers). For the JVM the live heap (`jcmd GC.class_histogram`) is read
                beside the RSS at both counts, since G1 commits heap in steps of megabytes; the target is judged
                on the larger of the two medians. `scale` (several Switchboard nodes in
                cluster mode over Redis and MariaDB) runs on its own: `run --scenarios scale`. Scenario details:
                `bench/README.md`.

                %s%s""".formatted(runOrder(), machine.get("cpu").asText(), machine.get("cores").asText(), machine.get("memory").asText(),
                machine.get("kernel").asText(), machine.get("java").asText(), machine.get("node").asText(),
                document.get("finishedAt").asText(), document.get("smoke").asBoolean() ? " (smoke run: tiny sizes, not figures)" : "",
                settings.serverIoThreads(), settings.serverJvmOptions(), settings.memoryJvmOptions(), nettyNote(), settings.latencyRounds(),
                settings.seconds(), stealNote(), settings.warmupSeconds(), latencyWarmupNote(), settings.idleRounds(), markdown("benchmarks/"), analysis());
    }

    /** The 1:1 latency runs' own warm-up, where the run gave them one. */
    private String latencyWarmupNote() {
        return settings.latencyWarmupSeconds() == settings.warmupSeconds() ? ""
                : " (" + settings.latencyWarmupSeconds() + " s before the 1:1 latency windows, past the server's first"
                        + " keep-alive round: `bench/README.md`)";
    }

    /** What the CPU steal and reclaim columns mean, where the run recorded them (older results.json files did not). */
    private String stealNote() {
        String steal = !anyRowHas("cpuStealPercent") ? "" : """
                 **CPU steal** is the share of the machine's CPU time the hypervisor gave to other
                guests while a row was measured, its warm-up included (`/proc/stat`): where it differs
                between two rows, so may their figures.""";
        String reclaim = !anyRowHas("reclaimCpuPercent") ? "" : """
                 **Reclaim CPU** is the share taken meanwhile by the kernel's memory-reclaim threads
                (`kdamond`, `kswapd`): while they run they hold a core that a server or the load generator may
                have wanted, which shows in the latency tails (bench/analysis.md says what they did in the
                published run).""";
        return (steal + reclaim).replace('\n', ' ').replaceAll(" +", " ");
    }

    /** The bare Netty peer, where the run measured it (older results.json files have none). */
    private String nettyNote() {
        for (JsonNode row : document.get("results")) {
            if ("netty".equals(row.path("target").asText())) {
                return ", and `netty`: a bare Netty server from this module (`switchboard-bench peer`, bench/README.md)"
                        + " on Switchboard's JVM options and event-loop count, the same stack without Switchboard's work";
            }
        }
        return "";
    }

    private boolean anyRowHas(String field) {
        for (JsonNode row : document.get("results")) {
            if (row.has(field)) {
                return true;
            }
        }
        return false;
    }

    /** How the run ordered its rows: this harness runs each scenario's targets in turn; older runs went target by target. */
    private String runOrder() {
        return Harness.SCENARIO_BY_SCENARIO.equals(document.path("order").asText())
                ? "scenario by scenario (each scenario's targets in turn, minutes apart)"
                : "target by target (each target's scenarios in turn)";
    }

    /** The hand-written findings (profiles, causes, what changed) kept in bench/analysis.md, if any. */
    private static String analysis() {
        Path file = Path.of("bench", "analysis.md");
        try {
            return java.nio.file.Files.exists(file) ? "\n" + java.nio.file.Files.readString(file) : "";
        } catch (IOException e) {
            return "";
        }
    }

    /**
     * ", kernel µs" for a CPU column whose rows read the kernel's part (fan-out and handshakes since
     * `c16a532`, throughput since it recorded {@code serverKernelMicrosPerMessage}).
     */
    private String kernelHeader(String scenario, String unit) {
        return anyFigure(scenario, "serverKernelMicrosPer" + unit) ? ", kernel µs" : "";
    }

    /**
     * "0.87 (0.84)": cores used over the measured window and CPU µs per unit ("Delivery": per delivered
     * message; "Message": per persisted message; "Handshake": per completed handshake), or – if not read
     * (also in results of runs from before a scenario read it). "0.87 (0.84, kernel 0.60)" where the
     * scenario also read the kernel's part of those µs.
     */
    static String cores(JsonNode figures, String side, String unit) {
        JsonNode cores = figures.get(side + "Cores");
        JsonNode micros = figures.get(side + "MicrosPer" + unit);
        if (cores == null || micros == null) {
            return "–";
        }
        JsonNode kernel = figures.get(side + "KernelMicrosPer" + unit);
        return kernel == null
                ? String.format(java.util.Locale.ROOT, "%.2f (%.2f)", cores.asDouble(), micros.asDouble())
                : String.format(java.util.Locale.ROOT, "%.2f (%.2f, kernel %.2f)", cores.asDouble(), micros.asDouble(),
                        kernel.asDouble());
    }

    private static String ms(JsonNode micros) {
        return String.format(Locale.ROOT, "%.2f", micros.asDouble() / 1000);
    }

    private static String mb(JsonNode kilobytes) {
        return String.format(Locale.ROOT, "%.0f", kilobytes.asDouble() / 1024);
    }
}
