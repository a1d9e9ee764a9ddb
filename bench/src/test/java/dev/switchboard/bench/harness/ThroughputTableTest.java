package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class ThroughputTableTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String markdown(ObjectNode figures) {
        return OneRowReport.markdown("throughput", "durable 1:1, 2 nodes", figures);
    }

    private static ObjectNode figures() {
        return JSON.createObjectNode().put("acknowledgedPerSecond", 20_000).put("deliveredPerSecond", 20_000)
                .put("serverCores", 0.6).put("serverMicrosPerMessage", 30)
                .put("storeWriterCores", 0.14).put("storeWriterMicrosPerMessage", 7)
                .put("generatorCores", 0.14).put("generatorMicrosPerMessage", 7);
    }

    @Test
    void showsTheClusterDatabaseAndRedisCpu_whenTheRunReadIt() {
        String markdown = markdown(figures().put("servicesCores", 0.7).put("servicesMicrosPerMessage", 35));

        assertThat(markdown).contains("| local MariaDB and Redis cores (µs per message) |")
                .contains("| 20k | 20k | 0.60 (30.00) | 0.14 (7.00) | 0.70 (35.00) | 0.14 (7.00) |");
    }

    @Test
    void leavesTheColumnOut_forResultsRecordedBeforeIt() {
        String markdown = markdown(figures());

        assertThat(markdown).doesNotContain("MariaDB and Redis cores")
                .contains("| 20k | 20k | 0.60 (30.00) | 0.14 (7.00) | 0.14 (7.00) |");
    }

    @Test
    void showsTheKernelsPartOfEverySide_whenTheRunReadIt() {
        String markdown = markdown(figures().put("servicesCores", 0.7).put("servicesMicrosPerMessage", 35)
                .put("serverKernelMicrosPerMessage", 12).put("storeWriterKernelMicrosPerMessage", 3)
                .put("servicesKernelMicrosPerMessage", 20).put("generatorKernelMicrosPerMessage", 4));

        assertThat(markdown).contains("| Switchboard nodes' cores (µs per message, kernel µs) | of which store writers |"
                        + " local MariaDB and Redis cores (µs per message, kernel µs) | generator cores (µs per message, kernel µs) |")
                .contains("| 20k | 20k | 0.60 (30.00, kernel 12.00) | 0.14 (7.00, kernel 3.00) | 0.70 (35.00, kernel 20.00)"
                        + " | 0.14 (7.00, kernel 4.00) |");
    }
}
