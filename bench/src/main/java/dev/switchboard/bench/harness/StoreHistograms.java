package dev.switchboard.bench.harness;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Switchboard node's own store histograms, read from its {@code /metrics} (Prometheus text): how long
 * its commits took, how long a batch's oldest write waited for the store writer, and how long each write
 * took from its submission to its commit. Read before and after a durable row, the difference says how
 * much of that row's tail was the store's (bench/analysis.md, the durable paragraph): the per-write
 * figure counts every message a slow commit held, as the row does, where the batch figures count the
 * commit once. The figures are bucket bounds: "p99 ≤ x".
 */
final class StoreHistograms {
    static final String COMMIT = "switchboard_store_commit_seconds";
    static final String QUEUED = "switchboard_store_queued_seconds";
    static final String WRITE = "switchboard_store_write_seconds";
    private static final Pattern BUCKET = Pattern.compile(
            "^(" + COMMIT + "|" + QUEUED + "|" + WRITE + ")_bucket\\{le=\"([^\"]+)\"} (\\S+)$", Pattern.MULTILINE);

    /** Cumulative count per upper bound (seconds), per histogram name. */
    private final Map<String, TreeMap<Double, Double>> buckets;

    private StoreHistograms(Map<String, TreeMap<Double, Double>> buckets) {
        this.buckets = buckets;
    }

    /** Reads the node's histograms now. */
    static StoreHistograms read(int apiPort) throws IOException, InterruptedException {
        HttpResponse<String> response = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + apiPort + "/metrics")).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
            throw new IOException("/metrics: " + response.statusCode());
        }
        return parse(response.body());
    }

    static StoreHistograms parse(String prometheusText) {
        Map<String, TreeMap<Double, Double>> buckets = new TreeMap<>();
        Matcher bucket = BUCKET.matcher(prometheusText);
        while (bucket.find()) {
            double bound = "+Inf".equals(bucket.group(2)) ? Double.POSITIVE_INFINITY : Double.parseDouble(bucket.group(2));
            buckets.computeIfAbsent(bucket.group(1), name -> new TreeMap<>()).put(bound, Double.parseDouble(bucket.group(3)));
        }
        return new StoreHistograms(buckets);
    }

    /**
     * Puts {@code storeCommitCount}, {@code storeCommitP99Micros}, {@code storeCommitP999Micros},
     * {@code storeQueuedP99Micros}, {@code storeQueuedP999Micros}, {@code storeWriteP99Micros} and
     * {@code storeWriteP999Micros} for what was recorded since {@code before}; nothing for a histogram that
     * recorded nothing (or that the node does not have: builds before the per-write one).
     */
    void putSince(StoreHistograms before, ObjectNode figures) {
        TreeMap<Double, Double> commits = since(before, COMMIT);
        if (!commits.isEmpty()) {
            figures.put("storeCommitCount", commits.lastEntry().getValue());
            figures.put("storeCommitP99Micros", percentileMicros(commits, 0.99));
            figures.put("storeCommitP999Micros", percentileMicros(commits, 0.999));
        }
        TreeMap<Double, Double> queued = since(before, QUEUED);
        if (!queued.isEmpty()) {
            figures.put("storeQueuedP99Micros", percentileMicros(queued, 0.99));
            figures.put("storeQueuedP999Micros", percentileMicros(queued, 0.999));
        }
        TreeMap<Double, Double> writes = since(before, WRITE);
        if (!writes.isEmpty()) {
            figures.put("storeWriteP99Micros", percentileMicros(writes, 0.99));
            figures.put("storeWriteP999Micros", percentileMicros(writes, 0.999));
        }
    }

    /** The cumulative counts recorded since {@code before}; empty when none were. */
    private TreeMap<Double, Double> since(StoreHistograms before, String name) {
        TreeMap<Double, Double> now = buckets.getOrDefault(name, new TreeMap<>());
        TreeMap<Double, Double> then = before.buckets.getOrDefault(name, new TreeMap<>());
        TreeMap<Double, Double> difference = new TreeMap<>();
        now.forEach((bound, count) -> difference.put(bound, count - then.getOrDefault(bound, 0.0)));
        return difference.isEmpty() || difference.lastEntry().getValue() <= 0 ? new TreeMap<>() : difference;
    }

    /** The upper bound of the first bucket holding the {@code quantile}'s observation, in µs (infinite: the largest finite bound). */
    private static double percentileMicros(TreeMap<Double, Double> cumulative, double quantile) {
        double total = cumulative.lastEntry().getValue();
        double largestFinite = 0;
        for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
            if (bucket.getKey().isInfinite()) {
                return largestFinite * 1e6;
            }
            largestFinite = bucket.getKey();
            if (bucket.getValue() >= quantile * total) {
                return bucket.getKey() * 1e6;
            }
        }
        return largestFinite * 1e6;
    }
}
