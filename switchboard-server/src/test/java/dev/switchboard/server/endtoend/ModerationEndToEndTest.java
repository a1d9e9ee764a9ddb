package dev.switchboard.server.endtoend;

import static dev.switchboard.server.endtoend.ServerApiTest.assertError;
import static dev.switchboard.server.endtoend.ServerApiTest.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.client.ConnectionState;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.ApiClient.Answer;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestClient;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kicks, bans and the login policy (R7) through the server API, seen from real WebSocket clients:
 * the {@code kicked} message and close code each connection gets, who stays connected, and which
 * handshakes are refused.
 */
class ModerationEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path dataDirectory;
    private TestServer server;
    private ApiClient api;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private void start(Map<String, Object> overrides) throws InterruptedException {
        server = TestServer.start(dataDirectory, overrides);
        resources.add(() -> server.close());
        api = ApiClient.of(server);
    }

    // ---- kick ----

    @Test
    void kick_sendsKickedThenCloses4003_onEveryDeviceOfTheUser() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");
        RawWebSocket laptop = live("bob", "laptop");
        RawWebSocket alice = live("alice", "phone");

        Answer answer = api.post("/api/v1/users/bob/kick", json("{'reason':'password changed'}"));

        assertThat(answer.status()).isEqualTo(202);
        for (RawWebSocket device : List.of(phone, laptop)) {
            JsonNode kicked = device.receiveJson();
            assertThat(kicked.get("type").asText()).isEqualTo("kicked");
            assertThat(kicked.get("reason").asText()).isEqualTo("password changed");
            assertThat(device.awaitClose(WAIT)).isEqualTo(CloseCodes.KICKED);
        }
        assertStillServes(alice);
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.registry().connectionsOf("bob")).isEmpty());
    }

    @Test
    void kick_withoutReason_stillTellsTheClientWhy() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");

        assertThat(api.post("/api/v1/users/bob/kick", null).status()).isEqualTo(202);

        JsonNode kicked = phone.receiveJson();
        assertThat(kicked.get("type").asText()).isEqualTo("kicked");
        assertThat(kicked.get("reason").asText()).isNotBlank();
        assertThat(phone.awaitClose(WAIT)).isEqualTo(CloseCodes.KICKED);
    }

    @Test
    void kick_ofOneDevice_leavesTheOtherDeviceConnectedAndWorking() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");
        RawWebSocket laptop = live("bob", "laptop");

        Answer answer = api.post("/api/v1/users/bob/kick", json("{'deviceId':'phone','reason':'lost phone'}"));

        assertThat(answer.status()).isEqualTo(202);
        assertThat(answer.json().get("deviceId").asText()).isEqualTo("phone");
        JsonNode kicked = phone.receiveJson();
        assertThat(kicked.get("type").asText()).isEqualTo("kicked");
        assertThat(kicked.get("reason").asText()).isEqualTo("lost phone");
        assertThat(phone.awaitClose(WAIT)).isEqualTo(CloseCodes.KICKED);

        api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'still there?'}"));
        JsonNode message = laptop.receiveJson();
        assertThat(message.get("type").asText()).as("the laptop gets the next message, not a kick").isEqualTo("message");
        assertThat(message.get("message").get("body").asText()).isEqualTo("still there?");
        assertStillServes(laptop);
        assertThat(api.get("/api/v1/presence?users=bob").json().get("online").get("bob").asBoolean()).isTrue();
    }

    @Test
    void kick_stopsTheSdkClient_withoutReconnecting() throws Exception {
        start(Map.of());
        TestClient bob = TestClient.connect(server.webSocketUri(), "bob", "phone");
        resources.add(bob);

        api.post("/api/v1/users/bob/kick", json("{'reason':'go away'}"));

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(bob.kicks).containsExactly("go away");
            assertThat(bob.closeCodes).containsExactly(CloseCodes.KICKED);
            assertThat(bob.sdk().state()).isEqualTo(ConnectionState.CLOSED);
        });
        assertThat(bob.states).as("a kicked client does not reconnect").doesNotContain(ConnectionState.RECONNECTING);
        assertThat(server.registry().connectionsOf("bob")).isEmpty();
    }

    // ---- ban ----

    @Test
    void ban_closesLiveConnectionsWith4004_refusesHandshakes_untilLifted() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");
        RawWebSocket laptop = live("bob", "laptop");
        RawWebSocket alice = live("alice", "phone");

        Answer banned = api.put("/api/v1/bans/bob", json("{'reason':'spam'}"));

        assertThat(banned.status()).as("%s", banned).isEqualTo(200);
        assertThat(phone.awaitClose(WAIT)).isEqualTo(CloseCodes.BANNED);
        assertThat(laptop.awaitClose(WAIT)).isEqualTo(CloseCodes.BANNED);
        assertStillServes(alice);
        assertHandshakeBanned("bob", "spam");
        assertThat(api.get("/api/v1/bans").json().get("bans")).singleElement().satisfies(ban -> {
            assertThat(ban.get("userId").asText()).isEqualTo("bob");
            assertThat(ban.get("reason").asText()).isEqualTo("spam");
            assertThat(ban.get("until").isNull()).isTrue();
        });

        Answer lifted = api.delete("/api/v1/bans/bob");

        assertThat(lifted.status()).isEqualTo(200);
        assertThat(lifted.json().get("banned").asBoolean()).isFalse();
        live("bob", "phone");
        assertThat(api.get("/api/v1/bans").json().get("bans")).isEmpty();
        assertError(api.delete("/api/v1/bans/bob"), 404, "not_found", "userId");
    }

    /** An operator's reason may be 200 characters; a close frame's payload is at most 125 bytes (RFC 6455 §5.5). */
    @Test
    void ban_withALongReason_sendsItWholeInKicked_andCutInTheCloseFrame() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");
        String reason = "ß".repeat(200); // 400 bytes of UTF-8

        assertThat(api.put("/api/v1/bans/bob", json("{'reason':'" + reason + "'}")).status()).isEqualTo(200);

        JsonNode kicked = phone.receiveJson();
        assertThat(kicked.get("type").asText()).isEqualTo("kicked");
        assertThat(kicked.get("reason").asText()).isEqualTo(reason);
        RawWebSocket.Frame close = phone.receive(WAIT);
        assertThat(close.opcode()).isEqualTo(RawWebSocket.CLOSE);
        assertThat(close.closeCode()).isEqualTo(CloseCodes.BANNED);
        assertThat(close.payload()).hasSize(2 + 122); // 61 whole characters of 2 bytes: 123 would split one
        assertThat(new String(close.payload(), 2, 122, StandardCharsets.UTF_8)).isEqualTo("ß".repeat(61));
    }

    @Test
    void ban_ofTokenUser_refusesTheTokenHandshakeToo() throws Exception {
        start(Map.of());
        api.put("/api/v1/bans/bob", json("{'reason':'spam'}"));

        try (RawWebSocket socket = RawWebSocket.connect(server.port(),
                "/ws?token=" + TestServer.token("bob", "phone", Duration.ofMinutes(5)))) {
            assertThat(socket.handshake().status()).isEqualTo(403);
            assertThat(socket.handshake().body()).contains("\"error\":\"banned\"");
        }
    }

    @Test
    void ban_stopsTheSdkClient_withCloseCode4004() throws Exception {
        start(Map.of());
        TestClient bob = TestClient.connect(server.webSocketUri(), "bob", "phone");
        resources.add(bob);

        api.put("/api/v1/bans/bob", json("{'reason':'spam'}"));

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(bob.closeCodes).contains(CloseCodes.BANNED);
            assertThat(bob.sdk().state()).isEqualTo(ConnectionState.CLOSED);
        });
        assertThat(bob.states).as("a banned client does not reconnect").doesNotContain(ConnectionState.RECONNECTING);
    }

    @Test
    void ban_withDuration_endsByItself() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");
        long before = System.currentTimeMillis();

        Answer banned = api.put("/api/v1/bans/bob", json("{'reason':'cool off','durationSeconds':1}"));

        assertThat(banned.json().get("until").asLong()).isBetween(before + 1000, System.currentTimeMillis() + 1000);
        assertThat(phone.awaitClose(WAIT)).isEqualTo(CloseCodes.BANNED);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=bob&device=phone")) {
                assertThat(socket.handshake().status()).as("handshake once the ban has ended").isEqualTo(101);
            }
        });
        assertThat(api.get("/api/v1/bans").json().get("bans")).as("an ended ban is not listed").isEmpty();
    }

    @Test
    void unban_returns404_whenTheBanHasEnded() throws Exception {
        // docs/API.md: 404 when "the user is not banned (never was, the ban ended, or it was lifted already)".
        start(Map.of());
        api.put("/api/v1/bans/bob", json("{'durationSeconds':1}"));
        await().atMost(WAIT).pollInterval(Duration.ofMillis(100))
                .until(() -> api.get("/api/v1/bans").json().get("bans").isEmpty());

        assertError(api.delete("/api/v1/bans/bob"), 404, "not_found", "userId");
    }

    @Test
    void ban_refusesInvalidDuration_andBansNobody() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");

        for (String duration : List.of("-1", "1.5", "\"60\"", "true", "{}", "[60]", "99999999999999999999", "3153600001")) {
            Answer answer = api.put("/api/v1/bans/bob", "{\"reason\":\"spam\",\"durationSeconds\":" + duration + "}");
            assertError(answer, 400, "invalid_field", "durationSeconds");
        }

        assertThat(api.get("/api/v1/bans").json().get("bans")).isEmpty();
        assertStillServes(phone);
        live("bob", "laptop");
    }

    @Test
    void ban_withDurationZeroOrNull_isPermanent() throws Exception {
        start(Map.of());
        assertThat(api.put("/api/v1/bans/bob", json("{'durationSeconds':0}")).json().get("until").isNull()).isTrue();
        assertThat(api.put("/api/v1/bans/eve", json("{'durationSeconds':null}")).json().get("until").isNull()).isTrue();
        assertThat(api.put("/api/v1/bans/dan", json("{'durationSeconds':60.0}")).json().get("until").asLong())
                .as("an integral number written with a fraction is an integer").isPositive();
    }

    @Test
    void ban_survivesServerRestart() throws Exception {
        start(Map.of());
        api.put("/api/v1/bans/bob", json("{'reason':'spam'}"));
        api.put("/api/v1/bans/eve", json("{'reason':'later','durationSeconds':3600}"));

        server.restart();
        api = ApiClient.of(server);

        assertHandshakeBanned("bob", "spam");
        assertHandshakeBanned("eve", "later");
        assertThat(api.get("/api/v1/bans").json().get("bans")).extracting(ban -> ban.get("userId").asText())
                .containsExactlyInAnyOrder("bob", "eve");
        assertThat(api.delete("/api/v1/bans/bob").status()).isEqualTo(200);
        live("bob", "phone");
    }

    @Test
    void ban_event_andKickCount_appearInStats() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");

        api.put("/api/v1/bans/bob", json("{'reason':'spam'}"));
        assertThat(phone.awaitClose(WAIT)).isEqualTo(CloseCodes.BANNED);

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode event = api.get("/api/v1/stats").json().get("events").get(0);
            assertThat(event).as("newest event").isNotNull();
            assertThat(event.get("kind").asText()).isEqualTo("ban");
            assertThat(event.get("userId").asText()).isEqualTo("bob");
            assertThat(event.get("reason").asText()).isEqualTo("spam");
        });
    }

    // ---- login policy ----

    @Test
    void singleSession_secondDeviceLogin_kicksTheFirstWith4003() throws Exception {
        start(Map.of("auth.loginPolicy", "single-session"));
        RawWebSocket phone = live("bob", "phone");
        RawWebSocket alice = live("alice", "phone");

        RawWebSocket laptop = live("bob", "laptop");

        JsonNode kicked = phone.receiveJson();
        assertThat(kicked.get("type").asText()).isEqualTo("kicked");
        assertThat(kicked.get("reason").asText()).isNotBlank();
        assertThat(phone.awaitClose(WAIT)).isEqualTo(CloseCodes.KICKED);
        api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'on the laptop'}"));
        JsonNode message = laptop.receiveJson();
        assertThat(message.get("type").asText()).as("the newest login stays").isEqualTo("message");
        assertThat(message.get("message").get("body").asText()).isEqualTo("on the laptop");
        assertThat(alice.receiveJson().get("type").asText()).as("the sender's copy").isEqualTo("message");
        assertStillServes(alice);
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.registry().connectionsOf("bob"))
                .singleElement().satisfies(connection -> assertThat(connection.deviceId()).isEqualTo("laptop")));
    }

    @Test
    void multiDevice_isTheDefault_andKeepsEveryDevice() throws Exception {
        start(Map.of());
        RawWebSocket phone = live("bob", "phone");
        RawWebSocket laptop = live("bob", "laptop");

        api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'to both'}"));

        for (RawWebSocket device : List.of(phone, laptop)) {
            JsonNode message = device.receiveJson();
            assertThat(message.get("type").asText()).as("not kicked").isEqualTo("message");
            assertThat(message.get("message").get("body").asText()).isEqualTo("to both");
        }
        assertThat(server.registry().connectionsOf("bob")).hasSize(2);
    }

    @Test
    void multiDevice_sameDeviceLoginAgain_replacesTheOldConnectionWith4003() throws Exception {
        start(Map.of());
        RawWebSocket first = live("bob", "phone");

        RawWebSocket second = live("bob", "phone");

        assertThat(first.receiveJson().get("type").asText()).isEqualTo("kicked");
        assertThat(first.awaitClose(WAIT)).isEqualTo(CloseCodes.KICKED);
        assertStillServes(second);
    }

    // ---- helpers ----

    /** A WebSocket session that has resumed: chat messages arrive live from here on. */
    private RawWebSocket live(String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        resources.add(socket);
        assertThat(socket.handshake().status()).as("handshake of %s/%s: %s", user, device, socket.handshake()).isEqualTo(101);
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
        socket.sendText("{\"type\":\"resume\"}");
        JsonNode synced = socket.receiveJson();
        while (!synced.get("type").asText().equals("synced")) {
            synced = socket.receiveJson();
        }
        return socket;
    }

    private void assertHandshakeBanned(String user, String reason) throws IOException {
        try (RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=again")) {
            assertThat(socket.handshake().status()).as("handshake of banned %s", user).isEqualTo(403);
            assertThat(socket.handshake().header("Sec-WebSocket-Accept")).as("never upgraded").isNull();
            JsonNode body = new com.fasterxml.jackson.databind.ObjectMapper().readTree(socket.handshake().body());
            assertThat(body.get("error").asText()).isEqualTo("banned");
            assertThat(body.get("reason").asText()).isEqualTo(reason);
        }
    }

    private static void assertStillServes(RawWebSocket socket) throws IOException {
        socket.sendText("{\"type\":\"ping\",\"ref\":\"alive\"}");
        JsonNode pong = socket.receiveJson();
        assertThat(pong.get("type").asText()).as("connection still up").isEqualTo("pong");
    }
}
