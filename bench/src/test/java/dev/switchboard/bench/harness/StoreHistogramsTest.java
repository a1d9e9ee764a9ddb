package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class StoreHistogramsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * Prometheus text with the three histograms' cumulative buckets (commits: 0.5 ms, 1 ms, 5 ms, +Inf;
     * queued: 0.5 ms, +Inf; writes: 1 ms, 5 ms, +Inf) and other lines around.
     */
    private static String metrics(long commitsUnderHalf, long commitsUnderOne, long commitsUnderFive, long commitsAll,
                                  long queuedAll) {
        return """
                # HELP switchboard_store_commit_seconds Commit time
                # TYPE switchboard_store_commit_seconds histogram
                switchboard_store_commit_seconds_bucket{le="5.0E-4"} %d
                switchboard_store_commit_seconds_bucket{le="0.001"} %d
                switchboard_store_commit_seconds_bucket{le="0.005"} %d
                switchboard_store_commit_seconds_bucket{le="+Inf"} %d
                switchboard_store_commit_seconds_count %d
                switchboard_store_queued_seconds_bucket{le="5.0E-4"} %d
                switchboard_store_queued_seconds_bucket{le="+Inf"} %d
                switchboard_store_write_seconds_bucket{le="0.001"} %d
                switchboard_store_write_seconds_bucket{le="0.005"} %d
                switchboard_store_write_seconds_bucket{le="+Inf"} %d
                jvm_threads_live_threads 40.0
                """.formatted(commitsUnderHalf, commitsUnderOne, commitsUnderFive, commitsAll, commitsAll, queuedAll, queuedAll,
                // Every commit held two writes; the writes' tail is the slow commits' (under 5 ms) and beyond.
                2 * commitsUnderOne, 2 * commitsUnderFive, 2 * commitsAll);
    }

    @Test
    void givesTheBucketBoundsOfTheTailRecordedBetweenTwoReadings() {
        StoreHistograms before = StoreHistograms.parse(metrics(100, 100, 100, 100, 100)); // a warm-up's 100, all fast
        StoreHistograms after = StoreHistograms.parse(metrics(1_100, 2_090, 2_099, 2_100, 2_100));
        ObjectNode figures = JSON.createObjectNode();

        after.putSince(before, figures);

        // 2,000 since: 1,000 under 0.5 ms, 990 more under 1 ms, 9 under 5 ms, 1 beyond the last bound.
        assertThat(figures.get("storeCommitCount").asDouble()).isEqualTo(2_000);
        assertThat(figures.get("storeCommitP99Micros").asDouble()).isEqualTo(1_000);
        assertThat(figures.get("storeCommitP999Micros").asDouble()).isEqualTo(5_000);
        assertThat(figures.get("storeQueuedP99Micros").asDouble()).isEqualTo(500);
        // 4,000 writes since: 3,980 under 1 ms, 18 more under 5 ms, 2 beyond.
        assertThat(figures.get("storeWriteP99Micros").asDouble()).isEqualTo(1_000);
        assertThat(figures.get("storeWriteP999Micros").asDouble()).isEqualTo(5_000);
    }

    @Test
    void putsNothing_whenNothingWasRecordedOrTheNodeHasNoStoreHistograms() {
        StoreHistograms same = StoreHistograms.parse(metrics(5, 5, 5, 5, 5));
        ObjectNode unchanged = JSON.createObjectNode();
        ObjectNode absent = JSON.createObjectNode();

        same.putSince(StoreHistograms.parse(metrics(5, 5, 5, 5, 5)), unchanged);
        StoreHistograms.parse("jvm_threads_live_threads 40.0\n").putSince(StoreHistograms.parse(""), absent);

        assertThat(unchanged.isEmpty()).isTrue();
        assertThat(absent.isEmpty()).isTrue();
    }

    @Test
    void theLatencyTableShowsTheCommitsColumnOnlyWhenARowHasIt() {
        ObjectNode durable = JSON.createObjectNode().put("rate", 1000).put("p50Micros", 400).put("p99Micros", 1900)
                .put("p999Micros", 5000).put("maxMicros", 9000).put("sent", 10).put("received", 10);
        String before = OneRowReport.markdown("latency", "durable chat", durable.deepCopy());
        String after = OneRowReport.markdown("latency", "durable chat",
                durable.put("storeCommitP99Micros", 1048.576).put("storeCommitP999Micros", 5592.405));

        assertThat(before).doesNotContain("node's commits");
        assertThat(after).contains("| node's commits p99 / p99.9 ms (warm-up included) |").contains("| ≤ 1.05 / ≤ 5.59 |")
                .doesNotContain("node's writes");
    }

    @Test
    void theLatencyTableShowsTheWritesColumnOnlyWhenARowHasIt() {
        ObjectNode durable = JSON.createObjectNode().put("rate", 1000).put("p50Micros", 400).put("p99Micros", 1900)
                .put("p999Micros", 5000).put("maxMicros", 9000).put("sent", 10).put("received", 10)
                .put("storeCommitP99Micros", 611.668).put("storeCommitP999Micros", 2446.676);
        String written = OneRowReport.markdown("latency", "durable chat",
                durable.put("storeWriteP99Micros", 1398.101).put("storeWriteP999Micros", 3145.726)
                        .put("storeFiguresWarmupExcluded", true));

        assertThat(written).contains("| node's commits p99 / p99.9 ms (measured windows) | node's writes, submitted to committed, "
                + "p99 / p99.9 ms (measured windows) |").contains("| ≤ 0.61 / ≤ 2.45 | ≤ 1.40 / ≤ 3.15 |");
    }
}
