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
}
