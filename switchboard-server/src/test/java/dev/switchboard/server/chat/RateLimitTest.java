package dev.switchboard.server.chat;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The GCRA limit behaves as the token bucket it stands for: burst at once, then the sustained rate. */
class RateLimitTest {
    private static final long START = 1_000_000_000L;

    @Test
    void tryAcquire_allowsBurstThenRefuses_whenTimeStandsStill() {
        Bucket limiter = new Bucket(new RateLimit(10, 5), START);

        assertThat(acquired(limiter, 5, START)).as("sends allowed in the burst").isEqualTo(5);
        assertThat(limiter.tryAcquire(START)).as("send beyond the burst").isFalse();
    }

    @Test
    void tryAcquire_allowsOneMore_whenOneTokenIntervalElapsed() {
        Bucket limiter = new Bucket(new RateLimit(10, 5), START);
        acquired(limiter, 5, START);
        long later = START + TimeUnit.MILLISECONDS.toNanos(100);

        assertThat(limiter.tryAcquire(later)).as("one token refilled after 1/rate seconds").isTrue();
        assertThat(limiter.tryAcquire(later)).isFalse();
    }

    @Test
    void tryAcquire_refillsInProportion_whenPartOfASecondElapsed() {
        Bucket limiter = new Bucket(new RateLimit(10, 5), START);
        acquired(limiter, 5, START);
        long later = START + TimeUnit.MILLISECONDS.toNanos(350);

        assertThat(acquired(limiter, 10, later)).as("3.5 tokens refilled in 350 ms at 10/s").isEqualTo(3);
    }

    @Test
    void tryAcquire_neverExceedsBurst_whenIdleForALongTime() {
        Bucket limiter = new Bucket(new RateLimit(10, 5), START);
        acquired(limiter, 5, START);
        long muchLater = START + TimeUnit.HOURS.toNanos(1);

        assertThat(acquired(limiter, 100, muchLater)).as("sends allowed after an hour idle").isEqualTo(5);
    }

    @Test
    void tryAcquire_sustainsConfiguredRate_whenSendsArePacedExactly() {
        Bucket limiter = new Bucket(new RateLimit(100, 1), START);
        long interval = TimeUnit.SECONDS.toNanos(1) / 100;
        int allowed = 0;
        for (int i = 0; i < 1000; i++) {
            if (limiter.tryAcquire(START + i * interval)) {
                allowed++;
            }
        }

        assertThat(allowed).as("sends at exactly the configured rate").isEqualTo(1000);
    }

    @Test
    void tryAcquire_allowsOne_whenBurstIsZero() {
        Bucket limiter = new Bucket(new RateLimit(10, 0), START);

        assertThat(acquired(limiter, 3, START)).as("burst is at least one").isEqualTo(1);
    }

    private static int acquired(Bucket limiter, int attempts, long nowNanos) {
        int acquired = 0;
        for (int i = 0; i < attempts; i++) {
            if (limiter.tryAcquire(nowNanos)) {
                acquired++;
            }
        }
        return acquired;
    }

    @Test
    void constructor_rejectsANonPositiveRate() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException().isThrownBy(() -> new RateLimit(0, 5));
    }

    /** One connection's state under a shared limit, as a session keeps it. */
    private static final class Bucket {
        private final RateLimit limit;
        private long state;

        Bucket(RateLimit limit, long nowNanos) {
            this.limit = limit;
            this.state = limit.initialState(nowNanos);
        }

        boolean tryAcquire(long nowNanos) {
            long next = limit.admit(state, nowNanos);
            if (next == RateLimit.REFUSED) {
                return false;
            }
            state = next;
            return true;
        }
    }
}
