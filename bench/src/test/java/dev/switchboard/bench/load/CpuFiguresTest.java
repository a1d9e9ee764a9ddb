package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

/** The CPU figures a worker records per side, which the report's CPU columns read. */
class CpuFiguresTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void recordsCoresMicrosPerUnitAndTheKernelsPart() {
        ObjectNode result = JSON.createObjectNode();

        LoadWorker.putCpu(result, "storeWriter", new CpuTime.Usage(0.5, 0.2), 25_000, "Message");

        assertThat(result.get("storeWriterCores").asDouble()).isEqualTo(0.5);
        assertThat(result.get("storeWriterMicrosPerMessage").asDouble()).isCloseTo(20.0, within(1e-9));
        assertThat(result.get("storeWriterKernelMicrosPerMessage").asDouble()).isCloseTo(8.0, within(1e-9));
    }

    @Test
    void leavesOutASideThatCouldNotBeRead_ratherThanRecordingANumber() {
        ObjectNode result = JSON.createObjectNode();

        LoadWorker.putCpu(result, "services", null, 25_000, "Message");

        assertThat(result.isEmpty()).isTrue();
    }
}
