package dev.switchboard.server.chat;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionIds;
import dev.switchboard.server.testing.OutboundFrames;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import io.netty.util.ReferenceCountUtil;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The send limits of one session and of its user, on connections over embedded channels. Time is
 * passed in (from the sessions' creation on), so nothing here waits or depends on the machine's speed.
 */
class SessionTest {
    private static final long MILLISECOND = TimeUnit.MILLISECONDS.toNanos(1);
    private final ServerMetrics metrics = new ServerMetrics();
    private static final ObjectMapper JSON = new ObjectMapper();
    private final List<EmbeddedChannel> channels = new ArrayList<>();

    @AfterEach
    void release() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
    }

    @Test
    void aSendTheUsersLimitRefuses_costsItsConnectionNoToken() throws Exception {
        // Each connection: 1 a second, a burst of 2. The user: 10 a second, a burst of 3.
        SessionPolicy policy = new SessionPolicy(new RateLimit(1, 2), KeyedRateLimiter.of(10, 3), new RateLimit(1, 1),
                100, 100, metrics);
        Session phone = session("carol", "phone", policy);
        Session laptop = session("carol", "laptop", policy);
        long now = System.nanoTime();

        assertThat(phone.tryAcquireSend("p1", now)).isTrue();
        assertThat(phone.tryAcquireSend("p2", now)).isTrue();
        assertThat(laptop.tryAcquireSend("l1", now)).isTrue();
        assertThat(laptop.tryAcquireSend("l2", now)).as("the user's burst of 3 is used").isFalse();

        // 200 ms on, the user has two sends again; the laptop's connection has its second only if the
        // refused send left it there (its own refill takes a second).
        assertThat(laptop.tryAcquireSend("l3", now + 200 * MILLISECOND)).isTrue();
        JsonNode refusal = JSON.readTree(OutboundFrames.texts(channels.get(1)).get(0));
        assertThat(refusal.get("ref").asText()).isEqualTo("l2");
        assertThat(refusal.get("code").asText()).isEqualTo("rate_limited");
        assertThat(refusal.get("message").asText()).isEqualTo("user send rate limit exceeded");
        assertThat(metrics.rateLimitedCount(ServerMetrics.RateLimited.USER_SEND)).isEqualTo(1);
        assertThat(metrics.rateLimitedCount(ServerMetrics.RateLimited.SEND)).isZero();
    }

    @Test
    void refusalsOfTheUsersLimit_countTowardsTheAbuseClose() {
        SessionPolicy policy = new SessionPolicy(new RateLimit(1_000, 1_000), KeyedRateLimiter.of(1, 1),
                new RateLimit(1, 1), 100, 2, metrics);
        Session session = session("dave", "phone", policy);
        long now = System.nanoTime();

        assertThat(session.tryAcquireSend("s1", now)).isTrue();
        assertThat(session.tryAcquireSend("s2", now)).isFalse();
        assertThat(session.tryAcquireSend("s3", now)).isFalse();
        assertThat(channels.get(0).isOpen()).as("two refusals are allowed").isTrue();
        assertThat(session.tryAcquireSend("s4", now)).isFalse();

        assertThat(channels.get(0).isOpen()).as("closed once its close frame is out").isFalse();
        CloseWebSocketFrame close = lastClose(channels.get(0));
        assertThat(close.statusCode()).isEqualTo(CloseCodes.RATE_LIMIT_ABUSE);
        assertThat(close.reasonText()).isEqualTo("user send rate abuse");
        close.release();
    }

    @Test
    void withTheUsersLimitOff_onlyTheConnectionsLimitApplies() {
        SessionPolicy policy = new SessionPolicy(new RateLimit(1, 2), KeyedRateLimiter.of(0, 0), new RateLimit(1, 1),
                100, 100, metrics);
        Session phone = session("erin", "phone", policy);
        Session laptop = session("erin", "laptop", policy);
        long now = System.nanoTime();

        for (Session session : List.of(phone, laptop)) {
            assertThat(session.tryAcquireSend("a", now)).isTrue();
            assertThat(session.tryAcquireSend("b", now)).isTrue();
            assertThat(session.tryAcquireSend("c", now)).as("the connection's burst of 2 is used").isFalse();
        }
        assertThat(metrics.rateLimitedCount(ServerMetrics.RateLimited.SEND)).isEqualTo(2);
        assertThat(policy.userSends().trackedKeys()).isZero();
    }

    private Session session(String user, String device, SessionPolicy policy) {
        EmbeddedChannel channel = new EmbeddedChannel();
        channels.add(channel);
        return new Session(new Connection(new ConnectionIds(), new Principal(user, device, 0), channel, metrics, false),
                policy);
    }

    /** The close frame among the channel's outbound messages; every other one is released. */
    private static CloseWebSocketFrame lastClose(EmbeddedChannel channel) {
        CloseWebSocketFrame close = null;
        Object written;
        while ((written = channel.readOutbound()) != null) {
            if (written instanceof CloseWebSocketFrame frame) {
                close = frame;
            } else {
                ReferenceCountUtil.release(written);
            }
        }
        assertThat(close).as("a close frame").isNotNull();
        return close;
    }
}
