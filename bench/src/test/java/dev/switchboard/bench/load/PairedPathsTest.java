package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class PairedPathsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode path(double... windowP99s) {
        ObjectNode path = JSON.createObjectNode();
        var windows = path.putArray("roundsP99Micros");
        for (double p99 : windowP99s) {
            windows.add(p99);
        }
        return path;
    }

    @Test
    void theHopAddsTheMedianOfTheWindowsDifferencesNotTheDifferenceOfTheirMedians() {
        // Window 3 was slow for the cross-node path only; window 2 slow for both.
        ObjectNode paired = LoadWorker.pairedPaths(path(1000, 4000, 1200), path(1300, 4100, 3900));

        assertThat(paired.get("roundsAddedP99Micros")).extracting(node -> node.asDouble())
                .containsExactly(300.0, 100.0, 2700.0);
        assertThat(paired.get("addedP99Micros").asDouble()).isEqualTo(300.0);
        // The difference of the median windows (3900 - 1200) would have charged the slow window to the hop.
        assertThat(paired.get("sameNode").get("roundsP99Micros")).hasSize(3);
        assertThat(paired.get("crossNode").get("roundsP99Micros")).hasSize(3);
    }

    @Test
    void aCrossNodePathFasterInAWindowAddsANegativeFigureThereAndIsNotClipped() {
        ObjectNode paired = LoadWorker.pairedPaths(path(2000), path(1500));

        assertThat(paired.get("addedP99Micros").asDouble()).isEqualTo(-500.0);
    }
}
