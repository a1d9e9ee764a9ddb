package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SendTokenBucketTest {
    private static final long START = 1_000_000_000L;
    private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

    @Test
    void tryTake_grantsTheWholeBurstAtOnce_whenFull() {
        SendTokenBucket bucket = new SendTokenBucket(50, 5, 0, START);

        for (int token = 1; token <= 5; token++) {
            assertThat(bucket.tryTake(START)).as("token %d of the burst", token).isTrue();
        }

        assertThat(bucket.tryTake(START)).as("sixth token at the same instant").isFalse();
        assertThat(bucket.nanosUntilToken(START)).isEqualTo(20 * MILLI);
    }

    @Test
    void tryTake_grantsOneTokenPerInterval_afterTheBurst() {
        SendTokenBucket bucket = new SendTokenBucket(50, 2, 0, START);
        bucket.tryTake(START);
        bucket.tryTake(START);

        assertThat(bucket.tryTake(START + 20 * MILLI - 1)).as("one nanosecond early").isFalse();
        assertThat(bucket.tryTake(START + 20 * MILLI)).isTrue();
        assertThat(bucket.nanosUntilToken(START + 20 * MILLI)).isEqualTo(20 * MILLI);
        assertThat(bucket.tryTake(START + 40 * MILLI)).isTrue();
        assertThat(bucket.tryTake(START + 40 * MILLI)).isFalse();
    }

    @Test
    void tryTake_neverExceedsBurstPlusElapsedTimesRate_whenTakenGreedily() {
        SendTokenBucket bucket = new SendTokenBucket(50, 5, 0, START);
        int taken = 0;

        for (long now = START; now <= START + 1000 * MILLI; now += MILLI) {
            while (bucket.tryTake(now)) {
                taken++;
            }
            long elapsedMillis = (now - START) / MILLI;
            assertThat(taken).as("tokens after %d ms", elapsedMillis)
                    .isLessThanOrEqualTo(5 + (int) (elapsedMillis * 50 / 1000));
        }

        assertThat(taken).as("burst plus one second at 50/s").isEqualTo(55);
    }

    @Test
    void tryTake_refillsToBurstOnly_afterALongIdle() {
        SendTokenBucket bucket = new SendTokenBucket(100, 3, 0, START);
        bucket.tryTake(START);
        long later = START + TimeUnit.MINUTES.toNanos(5);

        int taken = 0;
        while (bucket.tryTake(later)) {
            taken++;
        }

        assertThat(taken).as("capacity caps the refill").isEqualTo(3);
    }

    @Test
    void nanosUntilToken_roundsTheIntervalUp_whenTheRateDoesNotDivideASecond() {
        SendTokenBucket bucket = new SendTokenBucket(3, 1, 0, START);

        bucket.tryTake(START);

        assertThat(bucket.nanosUntilToken(START)).isEqualTo(333_333_334L);
    }

    @Test
    void jitterAllowance_holdsBackPartOfTheBurst_butNeverTheFirstToken() {
        SendTokenBucket withAllowance = new SendTokenBucket(50, 5, 10 * MILLI, START);
        SendTokenBucket burstOfOne = new SendTokenBucket(50, 1, 10 * MILLI, START);

        for (int token = 1; token <= 4; token++) {
            assertThat(withAllowance.tryTake(START)).isTrue();
        }
        assertThat(withAllowance.tryTake(START)).as("fifth token within the allowance").isFalse();
        assertThat(withAllowance.nanosUntilToken(START)).isEqualTo(10 * MILLI);
        assertThat(burstOfOne.tryTake(START)).as("a burst of 1 keeps its token").isTrue();
    }

    @Test
    void empty_makesTheNextTokenOneIntervalAway() {
        SendTokenBucket bucket = new SendTokenBucket(10, 20, 0, START);

        bucket.empty(START + 5 * MILLI);

        assertThat(bucket.tryTake(START + 5 * MILLI)).isFalse();
        assertThat(bucket.nanosUntilToken(START + 5 * MILLI)).isEqualTo(100 * MILLI);
        assertThat(bucket.tryTake(START + 105 * MILLI)).isTrue();
    }

    @Test
    void tryTake_worksAcrossTheNanoTimeWrapAround() {
        long nearMax = Long.MAX_VALUE - 5 * MILLI;
        SendTokenBucket bucket = new SendTokenBucket(100, 1, 0, nearMax);

        assertThat(bucket.tryTake(nearMax)).isTrue();
        assertThat(bucket.tryTake(nearMax + 9 * MILLI)).isFalse();
        assertThat(bucket.tryTake(nearMax + 10 * MILLI)).as("10 ms later, past Long.MAX_VALUE").isTrue();
    }

    @Test
    void forServerLimit_isUnlimited_whenTheWelcomeAdvertisesNoRate() {
        SendTokenBucket bucket = SendTokenBucket.forServerLimit(0, 0, START);

        assertThat(bucket.isUnlimited()).isTrue();
        for (int token = 0; token < 10_000; token++) {
            assertThat(bucket.tryTake(START)).isTrue();
        }
        bucket.empty(START);
        assertThat(bucket.nanosUntilToken(START)).isZero();
    }

    @Test
    void forServerLimit_treatsAMissingBurstAsOne() {
        SendTokenBucket bucket = SendTokenBucket.forServerLimit(100, 0, START);

        assertThat(bucket.tryTake(START)).isTrue();
        assertThat(bucket.tryTake(START)).isFalse();
        assertThat(bucket.nanosUntilToken(START)).isEqualTo(10 * MILLI);
    }

    @Test
    void forServerLimit_keepsHalfTheBurstBack() {
        SendTokenBucket bucket = SendTokenBucket.forServerLimit(100, 200, START);

        int taken = 0;
        while (bucket.tryTake(START)) {
            taken++;
        }

        assertThat(taken).as("half of a 200 burst is kept back as an allowance").isEqualTo(100);
        SendTokenBucket small = SendTokenBucket.forServerLimit(100, 2, START);
        assertThat(small.tryTake(START)).as("a burst of 2 keeps at least the 10 ms minimum back").isTrue();
        assertThat(small.tryTake(START)).isFalse();
    }

    @Test
    void constructor_throws_whenAValueIsOutOfRange() {
        assertThatThrownBy(() -> new SendTokenBucket(0, 5, 0, START)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SendTokenBucket(5, 0, 0, START)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SendTokenBucket(5, 5, -1, START)).isInstanceOf(IllegalArgumentException.class);
    }
}
