package dev.switchboard.server.chat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Time is passed in, so nothing here waits or depends on the machine's speed. */
class KeyedRateLimiterTest {
    private static final long SECOND = TimeUnit.SECONDS.toNanos(1);

    @Test
    void tryAcquire_admitsTheBurst_thenOnePerInterval() {
        KeyedRateLimiter limiter = new KeyedRateLimiter(2, 3, 100);
        long now = 1_000 * SECOND;

        assertThat(limiter.tryAcquire("192.0.2.1", now)).isTrue();
        assertThat(limiter.tryAcquire("192.0.2.1", now)).isTrue();
        assertThat(limiter.tryAcquire("192.0.2.1", now)).isTrue();
        assertThat(limiter.tryAcquire("192.0.2.1", now)).as("burst of 3 used").isFalse();
        assertThat(limiter.tryAcquire("192.0.2.2", now)).as("another address has its own bucket").isTrue();

        assertThat(limiter.tryAcquire("192.0.2.1", now + SECOND / 2)).as("half a second at 2/s: one more").isTrue();
        assertThat(limiter.tryAcquire("192.0.2.1", now + SECOND / 2)).isFalse();
    }

    @Test
    void sweep_forgetsAddressesWhoseBucketIsFullAgain() {
        KeyedRateLimiter limiter = new KeyedRateLimiter(10, 5, 100);
        long now = 1_000 * SECOND;
        limiter.tryAcquire("192.0.2.1", now);
        for (int i = 0; i < 5; i++) {
            limiter.tryAcquire("192.0.2.2", now);
        }

        limiter.sweep(now + SECOND / 10); // one interval: 192.0.2.1 is full again, 192.0.2.2 is not

        assertThat(limiter.trackedKeys()).isEqualTo(1);
        limiter.sweep(now + SECOND);
        assertThat(limiter.trackedKeys()).isZero();
    }

    @Test
    void tryAcquire_letsNewAddressesThroughUncounted_whenTheTableIsFull() {
        KeyedRateLimiter limiter = new KeyedRateLimiter(1, 1, 2);
        long now = 1_000 * SECOND;
        limiter.tryAcquire("192.0.2.1", now);
        limiter.tryAcquire("192.0.2.2", now);

        assertThat(limiter.tryAcquire("192.0.2.3", now)).isTrue();
        assertThat(limiter.untracked()).isEqualTo(1);
        assertThat(limiter.tryAcquire("192.0.2.1", now)).as("tracked addresses keep their limit").isFalse();
    }

    @Test
    void off_admitsEverything_andTracksNothing() {
        KeyedRateLimiter limiter = KeyedRateLimiter.of(0, 0);
        for (int i = 0; i < 1_000; i++) {
            assertThat(limiter.tryAcquire("192.0.2.1", 0)).isTrue();
        }
        assertThat(limiter.isEnabled()).isFalse();
        assertThat(limiter.trackedKeys()).isZero();
    }

    @Test
    void of_refusesANegativeRate_orARateWithoutBurst() {
        assertThatThrownBy(() -> KeyedRateLimiter.of(-1, 1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> KeyedRateLimiter.of(5, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
