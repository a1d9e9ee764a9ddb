package dev.switchboard.bench.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

class HopAddedTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static ObjectNode row(double p99Micros) {
        return JSON.createObjectNode().put("p99Micros", p99Micros);
    }

    @Test
    void aPairedRunIsJudgedOnTheMedianOfItsWindowsDifferences() {
        ObjectNode cross = row(7560).put("addedP99Micros", 1200);

        assertThat(Report.hopAddedMicros(row(6140), cross)).isEqualTo(1200);
    }

    @Test
    void resultsOfRunsBeforeThePairedHopAreJudgedOnTheDifferenceOfTheTwoRows() {
        assertThat(Report.hopAddedMicros(row(3560), row(4910))).isEqualTo(1350);
    }
}
