package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The pacing decisions: which send goes out next and when, with time passed in. */
class SendPacerTest {
    private static final long START = 5_000_000_000L;
    private static final long MILLI = TimeUnit.MILLISECONDS.toNanos(1);

    private final PendingSends sends = new PendingSends(100);
    private final SendPacer pacer = new SendPacer(sends);

    @Test
    void poll_releasesEverySendInCallOrder_whenUnlimited() {
        offer("a", "b", "c");

        assertThat(pollAll(START)).containsExactly("a", "b", "c");
        assertThat(pacer.nanosUntilNext(START)).isEqualTo(SendPacer.NOTHING_DUE);
    }

    @Test
    void poll_releasesTheBurstThenOnePerInterval_inCallOrder() {
        pacer.restart(new SendTokenBucket(50, 2, 0, START));
        offer("a", "b", "c", "d");

        assertThat(pollAll(START)).containsExactly("a", "b");
        assertThat(pacer.nanosUntilNext(START)).isEqualTo(20 * MILLI);
        assertThat(pollAll(START + 19 * MILLI)).isEmpty();
        assertThat(pollAll(START + 20 * MILLI)).containsExactly("c");
        assertThat(pollAll(START + 45 * MILLI)).containsExactly("d");
        assertThat(pacer.nanosUntilNext(START + 45 * MILLI)).isEqualTo(SendPacer.NOTHING_DUE);
    }

    @Test
    void holdForRetry_holdsTheRefusedSendAndEveryLaterOne_untilTheDelayPasses() {
        offer("a", "b", "c", "d", "e");
        pacer.restart(new SendTokenBucket(1000, 3, 0, START));
        assertThat(pollAll(START)).containsExactly("a", "b", "c");

        pacer.holdForRetry(pending("c"), START + 50 * MILLI, false, START + MILLI);

        assertThat(pollAll(START + 10 * MILLI)).as("tokens are there, but c is held").isEmpty();
        assertThat(pacer.nanosUntilNext(START + 10 * MILLI)).isEqualTo(40 * MILLI);
        assertThat(pollAll(START + 50 * MILLI)).containsExactly("c", "d", "e");
        assertThat(pending("c").nanosHeld(START)).as("hold released at transmission").isZero();
    }

    @Test
    void holdForRetry_waitsForATokenToo_whenTheHoldEndsFirst() {
        offer("a", "b", "c");
        pacer.restart(new SendTokenBucket(10, 2, 0, START));
        assertThat(pollAll(START)).containsExactly("a", "b");

        pacer.holdForRetry(pending("b"), START + MILLI, false, START);

        assertThat(pacer.nanosUntilNext(START + MILLI)).as("next token at 100 ms").isEqualTo(99 * MILLI);
        assertThat(pollAll(START + 100 * MILLI)).containsExactly("b");
        assertThat(pollAll(START + 200 * MILLI)).containsExactly("c");
    }

    @Test
    void holdForRetry_putsEarlierSendsFirst_whenTwoAreRefused() {
        offer("a", "b", "c", "d");
        assertThat(pollAll(START)).containsExactly("a", "b", "c", "d");

        pacer.holdForRetry(pending("c"), START + 10 * MILLI, false, START);
        pacer.holdForRetry(pending("a"), START + 30 * MILLI, false, START);

        assertThat(pollAll(START + 20 * MILLI)).as("a is held and comes first").isEmpty();
        assertThat(pollAll(START + 30 * MILLI)).containsExactly("a", "c");
    }

    @Test
    void holdForRetry_emptiesTheBucket_whenRateLimited() {
        offer("a", "b");
        pacer.restart(new SendTokenBucket(10, 20, 0, START));
        assertThat(pollAll(START)).containsExactly("a", "b");

        pacer.holdForRetry(pending("a"), START, true, START);

        assertThat(pacer.nanosUntilNext(START)).as("the server's bucket is empty").isEqualTo(100 * MILLI);
        assertThat(pollAll(START + 100 * MILLI)).containsExactly("a");
    }

    @Test
    void holdForRetry_doesNothing_whenTheSendIsNoLongerPending() {
        offer("a", "b");
        assertThat(pollAll(START)).containsExactly("a", "b");
        PendingSend confirmed = sends.takeConfirmed(pending("a").ref(), "a");

        pacer.holdForRetry(confirmed, START + 10 * MILLI, false, START);

        assertThat(pacer.nanosUntilNext(START)).isEqualTo(SendPacer.NOTHING_DUE);
    }

    @Test
    void restart_resendsEveryPendingSendInCallOrderBeforeNewerOnes_withAFullBucketAndNoHolds() {
        offer("a", "b", "c");
        pacer.restart(new SendTokenBucket(10, 2, 0, START));
        assertThat(pollAll(START)).containsExactly("a", "b");
        pacer.holdForRetry(pending("b"), START + TimeUnit.SECONDS.toNanos(10), false, START);

        long welcome = START + 10 * MILLI;
        pacer.restart(new SendTokenBucket(10, 2, 0, welcome));
        offer("d");

        assertThat(pollAll(welcome)).as("a full bucket, b's hold dropped").containsExactly("a", "b");
        assertThat(pollAll(welcome + 100 * MILLI)).containsExactly("c");
        assertThat(pollAll(welcome + 200 * MILLI)).containsExactly("d");
    }

    private void offer(String... clientIds) {
        for (String clientId : clientIds) {
            String ref = "s-" + clientId;
            sends.offer(new PendingSend(ref, clientId, Wire.send(ref, clientId, Target.user("bob"), Wire.body("hi")),
                    new CompletableFuture<>()));
        }
    }

    private PendingSend pending(String clientId) {
        return sends.get("s-" + clientId);
    }

    /** The client ids {@link SendPacer#poll} releases at {@code nowNanos}, in order. */
    private List<String> pollAll(long nowNanos) {
        List<String> released = new ArrayList<>();
        for (PendingSend send = pacer.poll(nowNanos); send != null; send = pacer.poll(nowNanos)) {
            released.add(send.clientId());
        }
        return released;
    }
}
