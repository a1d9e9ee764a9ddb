package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The options a run was measured with, as results.json records them ({@code settings}), so that the
 * page rendered from a results.json describes that run, not the options of whoever renders it.
 * Results recorded before settings existed fall back to the rendering options, and to a single
 * warm-up for every run (the latency runs had no warm-up of their own then).
 */
record RunSettings(int serverIoThreads, String serverJvmOptions, String memoryJvmOptions, int latencyRate,
                   int latencyRounds, int seconds, int warmupSeconds, int latencyWarmupSeconds, int idleRounds,
                   int fanoutSubscribers, int throughputWindow) {
    /** The throughput senders' window in runs recorded before it was a setting. */
    static final int THROUGHPUT_WINDOW_BEFORE_SETTING = 8;

    /** What a run with {@code options} measures with: the options, or a smoke run's tiny sizes. */
    static RunSettings effective(HarnessOptions options) {
        boolean smoke = options.smoke;
        return new RunSettings(options.serverIoThreads, options.serverJvmOptions, options.memoryJvmOptions,
                smoke ? 200 : options.latencyRate, smoke ? 2 : options.latencyRounds, smoke ? 2 : options.seconds,
                smoke ? 1 : options.warmupSeconds, smoke ? 1 : options.latencyWarmupSeconds, smoke ? 1 : options.idleRounds,
                smoke ? 50 : options.fanoutSubscribers, options.throughputWindow);
    }

    ObjectNode toJson() {
        ObjectNode settings = JsonNodeFactory.instance.objectNode();
        settings.put("serverIoThreads", serverIoThreads);
        settings.put("serverJvmOptions", serverJvmOptions);
        settings.put("memoryJvmOptions", memoryJvmOptions);
        settings.put("latencyRate", latencyRate);
        settings.put("latencyRounds", latencyRounds);
        settings.put("seconds", seconds);
        settings.put("warmupSeconds", warmupSeconds);
        settings.put("latencyWarmupSeconds", latencyWarmupSeconds);
        settings.put("idleRounds", idleRounds);
        settings.put("fanoutSubscribers", fanoutSubscribers);
        settings.put("throughputWindow", throughputWindow);
        return settings;
    }

    /** The settings {@code document} records, each missing one taken from {@code options}. */
    static RunSettings read(JsonNode document, HarnessOptions options) {
        JsonNode recorded = document.path("settings");
        int warmup = recorded.path("warmupSeconds").asInt(options.warmupSeconds);
        return new RunSettings(
                recorded.path("serverIoThreads").asInt(options.serverIoThreads),
                recorded.path("serverJvmOptions").asText(options.serverJvmOptions),
                recorded.path("memoryJvmOptions").asText(options.memoryJvmOptions),
                recorded.path("latencyRate").asInt(options.latencyRate),
                recorded.path("latencyRounds").asInt(options.latencyRounds),
                recorded.path("seconds").asInt(options.seconds),
                warmup,
                recorded.path("latencyWarmupSeconds").asInt(warmup),
                recorded.path("idleRounds").asInt(options.idleRounds),
                recorded.path("fanoutSubscribers").asInt(options.fanoutSubscribers),
                recorded.path("throughputWindow").asInt(THROUGHPUT_WINDOW_BEFORE_SETTING));
    }
}
