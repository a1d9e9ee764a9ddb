package dev.switchboard.server.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ApiRouterTest {
    private static final ApiRouter.Endpoint ENDPOINT = request -> CompletableFuture.completedFuture(null);
    private final ApiRouter router = new ApiRouter()
            .add("GET", "/api/v1/groups/{groupId}/members", ENDPOINT)
            .add("DELETE", "/api/v1/groups/{groupId}/members/{userId}", ENDPOINT)
            .add("POST", "/api/v1/topics/{topic*}/publish", ENDPOINT);

    @Test
    void match_bindsPathParameters() {
        ApiRouter.Match match = router.match("DELETE", "/api/v1/groups/g1/members/bob");

        assertThat(match.endpoint()).isSameAs(ENDPOINT);
        assertThat(match.parameters()).isEqualTo(Map.of("groupId", "g1", "userId", "bob"));
    }

    @Test
    void match_letsAGreedyParameterSpanSeveralSegments() {
        assertThat(router.match("POST", "/api/v1/topics/a/b/c/publish").parameters()).isEqualTo(Map.of("topic", "a/b/c"));
        assertThat(router.match("POST", "/api/v1/topics/x/publish").parameters()).isEqualTo(Map.of("topic", "x"));
        assertThat(router.match("POST", "/api/v1/topics/publish")).isNull();
    }

    @Test
    void match_tellsAKnownPathWithAnotherMethod_fromAnUnknownPath() {
        assertThat(router.match("POST", "/api/v1/groups/g1/members").endpoint()).isNull();
        assertThat(router.match("GET", "/api/v1/groups/g1/nothing")).isNull();
        assertThat(router.match("GET", "/api/v1/groups//members")).isNull();
    }
}
