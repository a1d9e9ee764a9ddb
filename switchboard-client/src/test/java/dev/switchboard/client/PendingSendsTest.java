package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class PendingSendsTest {

    @Test
    void inOrder_keepsSubmissionOrder_afterRemovals() {
        PendingSends sends = new PendingSends(10);
        sends.offer(send("s1", "a"));
        sends.offer(send("s2", "b"));
        sends.offer(send("s3", "c"));

        sends.takeConfirmed("s2", "b");

        assertThat(sends.inOrder()).extracting(PendingSend::clientId).containsExactly("a", "c");
    }

    @Test
    void offer_refuses_whenCapacityReached() {
        PendingSends sends = new PendingSends(2);
        sends.offer(send("s1", "a"));
        sends.offer(send("s2", "b"));

        assertThat(sends.offer(send("s3", "c"))).as("third send over capacity 2").isFalse();
        assertThat(sends.size()).isEqualTo(2);
        assertThat(sends.isFull()).isTrue();
    }

    @Test
    void offer_acceptsAgain_afterAConfirmationFreesRoom() {
        PendingSends sends = new PendingSends(1);
        sends.offer(send("s1", "a"));

        sends.takeConfirmed("s1", "a");

        assertThat(sends.offer(send("s2", "b"))).isTrue();
    }

    @Test
    void offer_throws_whenRefIsAlreadyPending() {
        PendingSends sends = new PendingSends(5);
        sends.offer(send("s1", "a"));

        assertThatThrownBy(() -> sends.offer(send("s1", "b"))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void takeConfirmed_matchesByRef_whenTwoSendsShareAClientId() {
        PendingSends sends = new PendingSends(5);
        PendingSend first = send("s1", "same");
        PendingSend second = send("s2", "same");
        sends.offer(first);
        sends.offer(second);

        assertThat(sends.takeConfirmed("s2", "same")).isSameAs(second);
        assertThat(sends.inOrder()).containsExactly(first);
    }

    @Test
    void takeConfirmed_fallsBackToOldestWithClientId_whenRefIsUnknown() {
        PendingSends sends = new PendingSends(5);
        PendingSend first = send("s1", "x");
        sends.offer(first);
        sends.offer(send("s2", "y"));

        assertThat(sends.takeConfirmed(null, "x")).isSameAs(first);
        assertThat(sends.takeConfirmed("other-ref", "y")).isNotNull();
        assertThat(sends.size()).isZero();
    }

    @Test
    void takeConfirmed_returnsNull_whenNothingMatches() {
        PendingSends sends = new PendingSends(5);
        sends.offer(send("s1", "x"));

        assertThat(sends.takeConfirmed("s9", "z")).isNull();
        assertThat(sends.takeConfirmed("s1", "z")).as("ref matches but client id disagrees").isNull();
        assertThat(sends.size()).isEqualTo(1);
    }

    @Test
    void drain_returnsAllInOrderAndEmpties() {
        PendingSends sends = new PendingSends(5);
        sends.offer(send("s1", "a"));
        sends.offer(send("s2", "b"));

        assertThat(sends.drain()).extracting(PendingSend::ref).containsExactly("s1", "s2");
        assertThat(sends.size()).isZero();
    }

    @Test
    void pollDue_returnsNewSendsInCallOrder_onceEach() {
        PendingSends sends = new PendingSends(5);
        sends.offer(send("s1", "a"));
        sends.offer(send("s2", "b"));

        assertThat(sends.pollDue().clientId()).isEqualTo("a");
        assertThat(sends.pollDue().clientId()).isEqualTo("b");
        assertThat(sends.pollDue()).isNull();
        assertThat(sends.size()).as("transmitted sends stay pending until confirmed").isEqualTo(2);
    }

    @Test
    void requeue_putsARefusedSendBeforeLaterSendsNotYetTransmitted() {
        PendingSends sends = new PendingSends(5);
        PendingSend first = send("s1", "a");
        sends.offer(first);
        sends.offer(send("s2", "b"));
        sends.pollDue();
        sends.offer(send("s3", "c"));

        assertThat(sends.requeue(first, 42)).isTrue();

        assertThat(sends.peekDue()).isSameAs(first);
        assertThat(first.nanosHeld(40)).isEqualTo(2);
        assertThat(sends.pollDue()).isSameAs(first);
        assertThat(first.nanosHeld(40)).as("released when polled").isZero();
        assertThat(sends.pollDue().clientId()).isEqualTo("b");
        assertThat(sends.pollDue().clientId()).isEqualTo("c");
    }

    @Test
    void requeue_refuses_whenTheSendIsNotPending() {
        PendingSends sends = new PendingSends(5);
        PendingSend confirmed = send("s1", "a");
        sends.offer(confirmed);
        sends.takeConfirmed("s1", "a");

        assertThat(sends.requeue(confirmed, 0)).isFalse();
        assertThat(sends.dueCount()).isZero();
    }

    @Test
    void requeueAll_makesEveryPendingSendDueInCallOrder_withoutHolds() {
        PendingSends sends = new PendingSends(5);
        sends.offer(send("s1", "a"));
        sends.offer(send("s2", "b"));
        sends.offer(send("s3", "c"));
        PendingSend first = sends.pollDue();
        sends.pollDue();
        sends.requeue(first, Long.MAX_VALUE);

        sends.requeueAll();

        assertThat(first.nanosHeld(0)).isZero();
        assertThat(sends.dueCount()).isEqualTo(3);
        assertThat(List.of(sends.pollDue(), sends.pollDue(), sends.pollDue())).extracting(PendingSend::clientId)
                .containsExactly("a", "b", "c");
    }

    @Test
    void removalAndConfirmation_takeTheSendOffTheDueSends() {
        PendingSends sends = new PendingSends(5);
        PendingSend failed = send("s1", "a");
        sends.offer(failed);
        sends.offer(send("s2", "b"));
        sends.offer(send("s3", "c"));

        sends.remove(failed);
        sends.takeConfirmed("s2", "b");

        assertThat(sends.dueCount()).isEqualTo(1);
        assertThat(sends.peekDue().clientId()).isEqualTo("c");
        sends.drain();
        assertThat(sends.peekDue()).isNull();
    }

    private static PendingSend send(String ref, String clientId) {
        String frame = Wire.send(ref, clientId, Target.user("bob"), Wire.body("hi"));
        return new PendingSend(ref, clientId, frame, new CompletableFuture<>());
    }
}
