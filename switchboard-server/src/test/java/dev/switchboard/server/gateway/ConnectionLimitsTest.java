package dev.switchboard.server.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
    @Test
    void tryAcquire_refusesTheConnectionOverAnAddressesLimit_andAdmitsOtherAddresses() {
        ConnectionLimits limits = new ConnectionLimits(2, 0);

        assertThat(limits.tryAcquire("192.0.2.1", "alice")).isNull();
        assertThat(limits.tryAcquire("192.0.2.1", "bob")).isNull();
        assertThat(limits.isAddressFull("192.0.2.1")).isTrue();
        assertThat(limits.tryAcquire("192.0.2.1", "carol")).isEqualTo(ConnectionLimits.Refusal.ADDRESS);
        assertThat(limits.tryAcquire("192.0.2.2", "carol")).isNull();
        assertThat(limits.connectionsFrom("192.0.2.1")).isEqualTo(2);
    }

    @Test
    void tryAcquire_refusedByTheUserLimit_givesTheAddressSlotBack() {
        ConnectionLimits limits = new ConnectionLimits(5, 1);

        assertThat(limits.tryAcquire("192.0.2.1", "alice")).isNull();
        assertThat(limits.tryAcquire("192.0.2.1", "alice")).isEqualTo(ConnectionLimits.Refusal.USER);

        assertThat(limits.connectionsFrom("192.0.2.1")).as("both or neither").isEqualTo(1);
        assertThat(limits.connectionsOfUser("alice")).isEqualTo(1);
    }

    @Test
    void release_freesTheSlot_andForgetsEmptyEntries() {
        ConnectionLimits limits = new ConnectionLimits(1, 1);
        assertThat(limits.tryAcquire("192.0.2.1", "alice")).isNull();

        limits.release("192.0.2.1", "alice");

        assertThat(limits.trackedEntries()).isZero();
        assertThat(limits.tryAcquire("192.0.2.1", "alice")).isNull();
    }

    @Test
    void userLimit_ignoresConnectionsWithoutAUser() {
        ConnectionLimits limits = new ConnectionLimits(0, 1);

        assertThat(limits.tryAcquire("192.0.2.1", null)).isNull();
        assertThat(limits.tryAcquire("192.0.2.1", null)).isNull();
        assertThat(limits.trackedEntries()).isZero();
    }

    @Test
    void addressLimit_ignoresANullAddress_whenTheHandshakeDidNotWorkItOut() {
        ConnectionLimits limits = new ConnectionLimits(1, 0);

        assertThat(limits.isAddressFull(null)).isFalse();
        assertThat(limits.tryAcquire(null, "alice")).isNull();
        assertThat(limits.tryAcquire(null, "alice")).isNull();
        assertThat(limits.trackedEntries()).isZero();
    }

    @Test
    void limitsOff_trackNothing() {
        ConnectionLimits limits = new ConnectionLimits(0, 0);

        for (int i = 0; i < 1_000; i++) {
            assertThat(limits.tryAcquire("192.0.2.1", "alice")).isNull();
        }
        assertThat(limits.isEnabled()).isFalse();
        assertThat(limits.isAddressFull("192.0.2.1")).isFalse();
        assertThat(limits.trackedEntries()).isZero();
    }
}
