package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class LateSendsColumnTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode row() {
        return JSON.createObjectNode().put("rate", 1000).put("p50Micros", 400).put("p99Micros", 1900)
                .put("p999Micros", 5000).put("maxMicros", 9000).put("sentAllRounds", 45_000).put("receivedAllRounds", 45_000);
    }

    @Test
    void theLatencyTableShowsTheGeneratorsLateSends_asACountOfAllSentAndAShare() {
        String report = OneRowReport.markdown("latency", "durable chat", row().put("lateSends", 93));

        assertThat(report).contains("| p99 of every window (ms) | generator's sends > 1 ms late |")
                .contains("| – | 93 of 45,000 (0.21%) |"); // after the windows' cell (none in this row)
    }

    @Test
    void theClusterTableShowsEachPathsLateSends() {
        String report = OneRowReport.markdown("cluster", "cross node (topic)", row().put("lateSends", 12));

        assertThat(report).contains("| p99 added by the hop, every window (ms) | generator's sends > 1 ms late |")
                .contains("| – | – | 12 of 45,000 (0.03%) |"); // after the windows' and the hop's cells (none here)
    }

    @Test
    void resultsFromBeforeTheCount_haveNoSuchColumn() {
        assertThat(OneRowReport.markdown("latency", "durable chat", row())).doesNotContain("generator's sends");
        assertThat(OneRowReport.markdown("cluster", "cross node (topic)", row())).doesNotContain("generator's sends");
    }
}
