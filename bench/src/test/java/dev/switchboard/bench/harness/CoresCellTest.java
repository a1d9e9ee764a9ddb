package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class CoresCellTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void showsTheKernelsPart_whenTheScenarioReadIt() {
        ObjectNode figures = JSON.createObjectNode().put("serverCores", 0.87).put("serverMicrosPerDelivery", 1.41)
                .put("serverKernelMicrosPerDelivery", 1.02);

        assertThat(Report.cores(figures, "server", "Delivery")).isEqualTo("0.87 (1.41, kernel 1.02)");
    }

    @Test
    void showsTheTotalAlone_forResultsRecordedBeforeTheKernelsPart() {
        ObjectNode figures = JSON.createObjectNode().put("serverCores", 0.87).put("serverMicrosPerDelivery", 1.41);

        assertThat(Report.cores(figures, "server", "Delivery")).isEqualTo("0.87 (1.41)");
        assertThat(Report.cores(figures, "generator", "Delivery")).isEqualTo("–");
    }

    @Test
    void namesTheKernelsPartInTheHeader_onlyWhenARowHasIt() {
        ObjectNode before = JSON.createObjectNode().put("deliveredPerSecond", 1_000_000).put("subscribers", 1000)
                .put("p50Micros", 100).put("p99Micros", 200).put("serverCores", 0.87).put("serverMicrosPerDelivery", 1.41);
        ObjectNode after = before.deepCopy().put("serverKernelMicrosPerDelivery", 1.02);

        assertThat(fanoutTable(before)).contains("| server cores (µs per delivery) |").doesNotContain("kernel");
        assertThat(fanoutTable(after)).contains("| server cores (µs per delivery, kernel µs) |")
                .contains("| 0.87 (1.41, kernel 1.02) |");
    }

    private static String fanoutTable(ObjectNode figures) {
        return OneRowReport.markdown("fanout", "topic", figures);
    }
}
