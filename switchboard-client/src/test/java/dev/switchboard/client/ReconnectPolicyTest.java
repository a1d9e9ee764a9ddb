package dev.switchboard.client;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.client.ReconnectPolicy.Action;
import dev.switchboard.protocol.CloseCodes;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {

    @Test
    void decide_stops_whenKicked() {
        assertThat(ReconnectPolicy.decide(CloseCodes.KICKED, 0, true, 0)).isEqualTo(Action.STOP);
    }

    @Test
    void decide_stops_whenBanned() {
        assertThat(ReconnectPolicy.decide(CloseCodes.BANNED, 0, true, 0)).isEqualTo(Action.STOP);
    }

    @Test
    void decide_reconnectsWithBackoff_whenServerRestartsOrConnectionDrops() {
        assertThat(ReconnectPolicy.decide(CloseCodes.SERVICE_RESTART, 0, true, 0)).isEqualTo(Action.RECONNECT_WITH_BACKOFF);
        assertThat(ReconnectPolicy.decide(CloseCodes.NORMAL, 0, false, 0)).isEqualTo(Action.RECONNECT_WITH_BACKOFF);
        assertThat(ReconnectPolicy.decide(-1, 0, false, 0)).isEqualTo(Action.RECONNECT_WITH_BACKOFF);
        assertThat(ReconnectPolicy.decide(-1, 503, false, 0)).isEqualTo(Action.RECONNECT_WITH_BACKOFF);
    }

    @Test
    void decide_retriesAtOnce_whenFirstUnauthorizedWithTokenProvider() {
        assertThat(ReconnectPolicy.decide(-1, 401, true, 1)).isEqualTo(Action.RECONNECT_NOW);
    }

    @Test
    void decide_stops_whenUnauthorizedTwiceInARow() {
        assertThat(ReconnectPolicy.decide(-1, 401, true, 2)).isEqualTo(Action.STOP);
    }

    @Test
    void decide_stops_whenUnauthorizedWithoutTokenProvider() {
        assertThat(ReconnectPolicy.decide(-1, 401, false, 1)).isEqualTo(Action.STOP);
    }

    @Test
    void decide_stops_whenOriginForbidden() {
        assertThat(ReconnectPolicy.decide(-1, 403, true, 1)).isEqualTo(Action.STOP);
    }

    @Test
    void decide_reconnectsAtOnce_whenTokenExpired() {
        assertThat(ReconnectPolicy.decide(CloseCodes.TOKEN_EXPIRED, 0, true, 0)).isEqualTo(Action.RECONNECT_NOW);
        assertThat(ReconnectPolicy.decide(CloseCodes.TOKEN_EXPIRED, 0, false, 0)).isEqualTo(Action.RECONNECT_WITH_BACKOFF);
    }
}
