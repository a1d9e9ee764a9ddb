package dev.switchboard.protocol;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ClientIdsTest {
    private static final long MILLIS = 1_796_000_000_123L; // 2026-11

    @Test
    void timeOrdered_isAVersion7UuidOfTheTime() {
        UUID id = UUID.fromString(ClientIds.timeOrdered(MILLIS, new Random(1)));

        assertThat(id.version()).isEqualTo(7);
        assertThat(id.variant()).isEqualTo(2);
        assertThat(id.getMostSignificantBits() >>> 16).isEqualTo(MILLIS);
    }

    @Test
    void timeOrdered_sortsAsStringsInTimeOrder_whateverTheRandomBits() {
        Random random = new Random(7);
        List<String> ids = new ArrayList<>();
        for (long millis = MILLIS; millis < MILLIS + 2_000; millis += 7) {
            ids.add(ClientIds.timeOrdered(millis, random));
        }

        assertThat(ids).isSorted();
        assertThat(ids).allSatisfy(id -> assertThat(id).hasSize(36).matches("[0-9a-f-]+"));
    }

    @Test
    void timeOrdered_differsWithinOneMillisecond() {
        Random random = new Random(3);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            ids.add(ClientIds.timeOrdered(MILLIS, random));
        }

        assertThat(ids).hasSize(10_000);
    }

    @Test
    void next_isMadeNow() {
        long before = System.currentTimeMillis();
        UUID id = UUID.fromString(ClientIds.next());
        long after = System.currentTimeMillis();

        assertThat(id.getMostSignificantBits() >>> 16).isBetween(before, after);
    }
}
