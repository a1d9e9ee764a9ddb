package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.ApiClient;
import dev.switchboard.server.testing.ApiClient.Answer;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.assertj.core.api.SoftAssertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The server API (docs/API.md) against a real node: every endpoint's answer, every validation error
 * with its status, code and field, and that a refused request changes nothing.
 */
class ServerApiTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final int MAX_BODY_BYTES = 256;
    private static final int MAX_DATA_BYTES = 200;
    private static final int MAX_GROUP_MEMBERS = 4;

    @TempDir
    Path dataDirectory;
    private TestServer server;
    private ApiClient api;
    private final List<RawWebSocket> sockets = new ArrayList<>();

    @BeforeEach
    void startServer() throws InterruptedException {
        server = TestServer.start(dataDirectory, Map.of(
                "limits.maxBodyBytes", MAX_BODY_BYTES,
                "topics.maxDataBytes", MAX_DATA_BYTES,
                "limits.maxGroupMembers", MAX_GROUP_MEMBERS));
        api = ApiClient.of(server);
    }

    @AfterEach
    void stopServer() throws IOException {
        for (RawWebSocket socket : sockets) {
            socket.close();
        }
        server.close();
    }

    // ---- authentication, routing, bodies ----

    @Test
    void api_returns401Unauthorized_whenKeyMissingOrWrong() {
        int port = server.apiPort();
        for (Map<String, String> headers : List.of(
                Map.<String, String>of(),
                Map.of("Authorization", "Bearer wrong-key"),
                Map.of("X-Api-Key", "wrong-key"),
                Map.of("Authorization", "Basic " + TestServer.API_KEY),
                Map.of("Authorization", "Bearer " + TestServer.API_KEY + "x"))) {
            Answer answer = ApiClient.withHeaders(port, headers).get("/api/v1/bans");
            assertError(answer, 401, "unauthorized", null);
        }
    }

    @Test
    void api_acceptsKey_inAuthorizationBearerAndXApiKeyHeaders() {
        int port = server.apiPort();
        Answer bearer = ApiClient.withHeaders(port, Map.of("Authorization", "Bearer " + TestServer.API_KEY)).get("/api/v1/bans");
        Answer apiKey = ApiClient.withHeaders(port, Map.of("X-Api-Key", TestServer.API_KEY)).get("/api/v1/bans");
        assertThat(bearer.status()).as("Bearer: %s", bearer).isEqualTo(200);
        assertThat(apiKey.status()).as("X-Api-Key: %s", apiKey).isEqualTo(200);
        assertThat(bearer.json().get("bans").isArray()).isTrue();
    }

    @Test
    void api_refusedUnauthenticated_doesNotApplyTheRequest() {
        ApiClient anonymous = ApiClient.withHeaders(server.apiPort(), Map.of("X-Api-Key", "nope"));
        assertError(anonymous.put("/api/v1/bans/mallory", "{}"), 401, "unauthorized", null);
        assertError(anonymous.post("/api/v1/groups", json("{'groupId':'g','name':'G','owner':'alice'}")), 401, "unauthorized", null);

        assertThat(api.get("/api/v1/bans").json().get("bans")).as("no ban stored").isEmpty();
        assertError(api.get("/api/v1/groups/g/members"), 404, "group_not_found", null);
    }

    @Test
    void api_returns503ApiDisabled_whenNoKeyConfiguredOutsideDevelopmentMode(@TempDir Path otherDirectory) throws Exception {
        try (TestServer noKeys = TestServer.start(otherDirectory, Map.of("api.keys", List.of(), "auth.devMode", false))) {
            for (String key : List.of("dev-api-key", TestServer.API_KEY)) {
                Answer answer = ApiClient.withHeaders(noKeys.apiPort(), Map.of("X-Api-Key", key)).get("/api/v1/stats");
                assertError(answer, 503, "api_disabled", null);
            }
            assertThat(ApiClient.withHeaders(noKeys.apiPort(), Map.of()).get("/metrics").status())
                    .as("metrics are still served").isEqualTo(200);
        }
    }

    @Test
    void api_acceptsDevApiKey_whenNoKeyConfiguredInDevelopmentMode(@TempDir Path otherDirectory) throws Exception {
        try (TestServer dev = TestServer.start(otherDirectory, Map.of("api.keys", List.of()))) {
            Answer answer = ApiClient.withHeaders(dev.apiPort(), Map.of("Authorization", "Bearer dev-api-key")).get("/api/v1/bans");
            assertThat(answer.status()).as("dev-api-key in development mode: %s", answer).isEqualTo(200);
            assertError(ApiClient.withHeaders(dev.apiPort(), Map.of("Authorization", "Bearer other")).get("/api/v1/bans"),
                    401, "unauthorized", null);
        }
    }

    @Test
    void unknownPath_returns404NotFound() {
        for (String path : List.of("/api/v1/nothing", "/api/v2/bans", "/api/v1/groups/g1/members/bob/extra", "/", "/api/v1/topics/t")) {
            assertError(api.get(path), 404, "not_found", null);
        }
        assertError(api.post("/api/v1/users/bob/ban", "{}"), 404, "not_found", null);
    }

    @Test
    void wrongMethod_returns405MethodNotAllowed() {
        assertError(api.get("/api/v1/messages"), 405, "method_not_allowed", null);
        assertError(api.send("PATCH", "/api/v1/bans/bob", "{}"), 405, "method_not_allowed", null);
        assertError(api.post("/api/v1/stats", "{}"), 405, "method_not_allowed", null);
        assertError(api.put("/api/v1/groups/g1", "{}"), 405, "method_not_allowed", null);
        assertError(api.get("/api/v1/topics/news/publish"), 405, "method_not_allowed", null);
        assertError(api.delete("/api/v1/presence"), 405, "method_not_allowed", null);
    }

    @Test
    void malformedBody_returns400BadJson_onEveryEndpointWithABody() {
        for (String body : List.of("{", "not json", "{\"from\":}", "[1,2]", "\"text\"", "42")) {
            assertError(api.post("/api/v1/messages", body), 400, "bad_json", null);
            assertError(api.post("/api/v1/topics/news/publish", body), 400, "bad_json", null);
            assertError(api.post("/api/v1/users/bob/kick", body), 400, "bad_json", null);
            assertError(api.put("/api/v1/bans/bob", body), 400, "bad_json", null);
            assertError(api.post("/api/v1/groups", body), 400, "bad_json", null);
            assertError(api.post("/api/v1/groups/g1/members", body), 400, "bad_json", null);
        }
        assertError(api.post("/api/v1/messages", null), 400, "bad_json", null);

        assertThat(api.get("/api/v1/bans").json().get("bans")).as("no ban applied").isEmpty();
    }

    @Test
    void bodyWithTrailingGarbage_returns400BadJson_andIsNotApplied() {
        Answer answer = api.post("/api/v1/messages",
                json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'hi'} trailing"));

        assertError(answer, 400, "bad_json", null);
        assertThat(history("bob").get("lastSeq").asLong()).as("nothing stored").isZero();
    }

    @Test
    void requestLargerThanTheHttpLimit_returns413PayloadTooLargeAsJson() throws IOException {
        // Over the API port's fixed request limit (256 KiB), announced by Content-Length: refused before it is read.
        try (Socket socket = new Socket("127.0.0.1", server.apiPort())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + TestServer.API_KEY
                    + "\r\nContent-Type: application/json\r\nContent-Length: 400000\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.flush();
            String answer = readHttpAnswer(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(answer).as("errors are always JSON (docs/API.md, Errors)")
                    .containsIgnoringCase("content-type: application/json").contains("\"error\":\"payload_too_large\"");
        }
    }

    // ---- POST /api/v1/messages ----

    @Test
    void postMessage_reachesConnectedRecipient_andIsInRecipientsAndSendersHistory() throws Exception {
        RawWebSocket bob = live("bob", "phone");
        RawWebSocket alice = live("alice", "laptop");

        Answer answer = api.post("/api/v1/messages",
                json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':{'text':'shipped'},'idempotencyKey':'order-17'}"));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        long messageId = answer.json().get("messageId").asLong();
        long createdAt = answer.json().get("createdAt").asLong();
        assertThat(messageId).isPositive();
        assertThat(createdAt).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
        assertThat(answer.json().get("duplicate").asBoolean()).isFalse();

        JsonNode atBob = bob.receiveJson();
        assertThat(atBob.get("type").asText()).isEqualTo("message");
        assertThat(atBob.get("seq").asLong()).isEqualTo(1);
        JsonNode message = atBob.get("message");
        assertThat(message.get("id").asLong()).isEqualTo(messageId);
        assertThat(message.get("from").asText()).isEqualTo("alice");
        assertThat(message.get("fromDevice").asText()).isEqualTo("api");
        assertThat(message.get("to").get("kind").asText()).isEqualTo("user");
        assertThat(message.get("to").get("id").asText()).isEqualTo("bob");
        assertThat(message.get("ts").asLong()).isEqualTo(createdAt);
        assertThat(message.get("body").get("text").asText()).isEqualTo("shipped");
        JsonNode atAlice = alice.receiveJson();
        assertThat(atAlice.get("message").get("id").asLong()).as("the sender's own devices get it too").isEqualTo(messageId);

        for (String user : List.of("bob", "alice")) {
            JsonNode page = history(user);
            assertThat(page.get("messages")).as("history of %s", user).hasSize(1);
            JsonNode entry = page.get("messages").get(0);
            assertThat(entry.get("seq").asLong()).isEqualTo(1);
            assertThat(entry.get("id").asLong()).isEqualTo(messageId);
            assertThat(entry.get("from").asText()).isEqualTo("alice");
            assertThat(entry.get("fromDevice").asText()).isEqualTo("api");
            assertThat(entry.get("to").get("kind").asText()).isEqualTo("user");
            assertThat(entry.get("to").get("id").asText()).isEqualTo("bob");
            assertThat(entry.get("body").get("text").asText()).isEqualTo("shipped");
            assertThat(entry.get("createdAt").asLong()).isEqualTo(createdAt);
        }
    }

    @Test
    void postMessage_toOfflineRecipient_isDeliveredOnResume() throws Exception {
        Answer answer = api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'while away'}"));
        assertThat(answer.status()).isEqualTo(200);

        try (RawWebSocket bob = RawWebSocket.connect(server.port(), "/ws?user=bob&device=phone")) {
            assertThat(bob.receiveJson().get("lastSeq").asLong()).as("welcome.lastSeq").isEqualTo(1);
            bob.sendText("{\"type\":\"resume\"}");
            JsonNode replayed = bob.receiveJson();
            assertThat(replayed.get("type").asText()).isEqualTo("message");
            assertThat(replayed.get("message").get("id").asLong()).isEqualTo(answer.json().get("messageId").asLong());
            assertThat(replayed.get("message").get("body").asText()).isEqualTo("while away");
            String clientId = replayed.get("message").get("clientId").asText();
            assertThat(clientId).as("no idempotency key: a time-ordered id of the server's").startsWith("api:");
            assertThat(UUID.fromString(clientId.substring("api:".length())).version()).isEqualTo(7);
            assertThat(bob.receiveJson().get("type").asText()).isEqualTo("synced");
        }
    }

    @Test
    void postMessage_returnsDuplicateWithSameId_whenIdempotencyKeyRepeated_andDeliversOnce() throws Exception {
        RawWebSocket bob = live("bob", "phone");
        String request = json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'once','idempotencyKey':'k-1'}");

        Answer first = api.post("/api/v1/messages", request);
        Answer second = api.post("/api/v1/messages", request);
        Answer marker = api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'after'}"));

        assertThat(first.json().get("duplicate").asBoolean()).isFalse();
        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().get("duplicate").asBoolean()).isTrue();
        assertThat(second.json().get("messageId").asLong()).isEqualTo(first.json().get("messageId").asLong());
        assertThat(second.json().get("createdAt").asLong()).isEqualTo(first.json().get("createdAt").asLong());
        assertThat(bob.receiveJson().get("message").get("body").asText()).isEqualTo("once");
        assertThat(bob.receiveJson().get("message").get("body").asText())
                .as("the next delivery is the following message, not a second copy").isEqualTo("after");
        assertThat(history("bob").get("messages")).extracting(entry -> entry.get("body").asText())
                .containsExactly("once", "after");
        assertThat(marker.json().get("messageId").asLong()).isNotEqualTo(first.json().get("messageId").asLong());
    }

    @Test
    void postMessage_sameIdempotencyKeyFromAnotherSender_isAnotherMessage() {
        Answer fromAlice = api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':1,'idempotencyKey':'shared'}"));
        Answer fromCarol = api.post("/api/v1/messages", json("{'from':'carol','to':{'kind':'user','id':'bob'},'body':2,'idempotencyKey':'shared'}"));

        assertThat(fromCarol.json().get("duplicate").asBoolean()).isFalse();
        assertThat(fromCarol.json().get("messageId").asLong()).isNotEqualTo(fromAlice.json().get("messageId").asLong());
        assertThat(history("bob").get("messages")).hasSize(2);
    }

    @Test
    void postMessage_toGroup_reachesConnectedMembers() throws Exception {
        createGroup("team", "alice", "bob", "carol");
        RawWebSocket carol = live("carol", "web");

        Answer answer = api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'group','id':'team'},'body':'standup'}"));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        JsonNode atCarol = carol.receiveJson().get("message");
        assertThat(atCarol.get("to").get("kind").asText()).isEqualTo("group");
        assertThat(atCarol.get("to").get("id").asText()).isEqualTo("team");
        assertThat(atCarol.get("body").asText()).isEqualTo("standup");
        for (String member : List.of("alice", "bob", "carol")) {
            assertThat(history(member).get("messages")).as("history of %s", member).hasSize(1);
        }
    }

    @Test
    void postMessage_returns409NotGroupMember_whenSenderIsNotInTheGroup_andStoresNothing() {
        createGroup("team", "alice", "bob");

        Answer answer = api.post("/api/v1/messages", json("{'from':'mallory','to':{'kind':'group','id':'team'},'body':'hi'}"));

        assertError(answer, 409, "not_group_member", null);
        for (String user : List.of("alice", "bob", "mallory")) {
            assertThat(history(user).get("lastSeq").asLong()).as("inbox of %s", user).isZero();
        }
    }

    @Test
    void postMessage_returns404GroupNotFound_whenGroupDoesNotExist() {
        Answer answer = api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'group','id':'nowhere'},'body':'hi'}"));

        assertError(answer, 404, "group_not_found", null);
        assertThat(history("alice").get("lastSeq").asLong()).isZero();
    }

    @Test
    void postMessage_acceptsAnyJsonBody_includingNull() {
        for (String body : List.of("null", "42", "true", "[1,{\"a\":null}]", "\"\"")) {
            Answer answer = api.post("/api/v1/messages", "{\"from\":\"alice\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":" + body + "}");
            assertThat(answer.status()).as("body %s: %s", body, answer).isEqualTo(200);
        }
        assertThat(history("bob").get("messages")).extracting(entry -> entry.get("body").toString())
                .containsExactly("null", "42", "true", "[1,{\"a\":null}]", "\"\"");
    }

    @Test
    void postMessage_refusesEachInvalidField_withCodeAndField_andStoresNothing() {
        String tooBig = "x".repeat(MAX_BODY_BYTES);
        String[][] cases = {
                // body, status, error, field
                {"{'to':{'kind':'user','id':'bob'},'body':1}", "400", "missing_field", "from"},
                {"{'from':null,'to':{'kind':'user','id':'bob'},'body':1}", "400", "missing_field", "from"},
                {"{'from':42,'to':{'kind':'user','id':'bob'},'body':1}", "400", "invalid_field", "from"},
                {"{'from':'al ice','to':{'kind':'user','id':'bob'},'body':1}", "400", "invalid_field", "from"},
                {"{'from':'','to':{'kind':'user','id':'bob'},'body':1}", "400", "invalid_field", "from"},
                {"{'from':'" + "a".repeat(129) + "','to':{'kind':'user','id':'bob'},'body':1}", "400", "invalid_field", "from"},
                {"{'from':'alice','body':1}", "400", "missing_field", "to"},
                {"{'from':'alice','to':'bob','body':1}", "400", "invalid_field", "to"},
                {"{'from':'alice','to':['user','bob'],'body':1}", "400", "invalid_field", "to"},
                {"{'from':'alice','to':{'id':'bob'},'body':1}", "400", "missing_field", "to.kind"},
                {"{'from':'alice','to':{'kind':'channel','id':'bob'},'body':1}", "400", "invalid_field", "to.kind"},
                {"{'from':'alice','to':{'kind':7,'id':'bob'},'body':1}", "400", "invalid_field", "to.kind"},
                {"{'from':'alice','to':{'kind':'user'},'body':1}", "400", "missing_field", "to.id"},
                {"{'from':'alice','to':{'kind':'user','id':'b/ob'},'body':1}", "400", "invalid_field", "to.id"},
                {"{'from':'alice','to':{'kind':'group','id':'te am'},'body':1}", "400", "invalid_field", "to.id"},
                {"{'from':'alice','to':{'kind':'user','id':'bob'}}", "400", "missing_field", "body"},
                {"{'from':'alice','to':{'kind':'user','id':'bob'},'body':'\\ud800'}", "400", "invalid_field", "body"},
                {"{'from':'alice','to':{'kind':'user','id':'bob'},'body':'" + tooBig + "'}", "413", "payload_too_large", "body"},
                {"{'from':'alice','to':{'kind':'user','id':'bob'},'body':1,'idempotencyKey':''}", "400", "invalid_field", "idempotencyKey"},
                {"{'from':'alice','to':{'kind':'user','id':'bob'},'body':1,'idempotencyKey':17}", "400", "invalid_field", "idempotencyKey"},
                {"{'from':'alice','to':{'kind':'user','id':'bob'},'body':1,'idempotencyKey':'" + "k".repeat(65) + "'}",
                        "400", "invalid_field", "idempotencyKey"},
        };
        SoftAssertions soft = new SoftAssertions();
        for (String[] c : cases) {
            Answer answer = api.post("/api/v1/messages", json(c[0]));
            softAssertError(soft, answer, Integer.parseInt(c[1]), c[2], c[3], c[0]);
        }
        soft.assertAll();

        for (String user : List.of("alice", "bob")) {
            assertThat(history(user).get("lastSeq").asLong()).as("nothing stored for %s", user).isZero();
        }
    }

    @Test
    void postMessage_acceptsBodyExactlyAtTheLimit() {
        String atLimit = "\"" + "x".repeat(MAX_BODY_BYTES - 2) + "\"";
        Answer answer = api.post("/api/v1/messages", "{\"from\":\"alice\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":" + atLimit + "}");
        assertThat(answer.status()).as("%d serialized bytes: %s", MAX_BODY_BYTES, answer).isEqualTo(200);
    }

    // ---- POST /api/v1/topics/{topic}/publish ----

    @Test
    void publish_reachesWebSocketSubscriber_withoutFrom() throws Exception {
        RawWebSocket subscriber = live("sam", "phone");
        JsonNode subscribed = subscribe(subscriber, "news.sports");
        String epoch = subscribed.get("epoch").asText();

        Answer answer = api.post("/api/v1/topics/news.sports/publish", json("{'data':{'score':'2-1'}}"));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("topic").asText()).isEqualTo("news.sports");
        assertThat(answer.json().get("epoch").asText()).isEqualTo(epoch);
        assertThat(answer.json().get("offset").asLong()).isEqualTo(subscribed.get("offset").asLong() + 1);
        assertThat(answer.json().get("duplicate").asBoolean()).isFalse();
        JsonNode publication = subscriber.receiveJson();
        assertThat(publication.get("type").asText()).isEqualTo("publication");
        assertThat(publication.get("topic").asText()).isEqualTo("news.sports");
        assertThat(publication.get("epoch").asText()).isEqualTo(epoch);
        assertThat(publication.get("offset").asLong()).isEqualTo(answer.json().get("offset").asLong());
        assertThat(publication.get("data").get("score").asText()).isEqualTo("2-1");
        assertThat(publication.has("from")).as("no from when published by the server API: %s", publication).isFalse();
    }

    @Test
    void publish_returnsDuplicateWithSameOffset_whenIdempotencyKeyRepeated_andPublishesOnce() throws Exception {
        RawWebSocket subscriber = live("sam", "phone");
        subscribe(subscriber, "ticks");

        Answer first = api.post("/api/v1/topics/ticks/publish", json("{'data':1,'idempotencyKey':'tick-9'}"));
        Answer second = api.post("/api/v1/topics/ticks/publish", json("{'data':1,'idempotencyKey':'tick-9'}"));
        Answer next = api.post("/api/v1/topics/ticks/publish", json("{'data':2,'idempotencyKey':'tick-10'}"));

        assertThat(second.status()).isEqualTo(200);
        assertThat(second.json().get("duplicate").asBoolean()).isTrue();
        assertThat(second.json().get("offset").asLong()).isEqualTo(first.json().get("offset").asLong());
        assertThat(second.json().get("epoch").asText()).isEqualTo(first.json().get("epoch").asText());
        assertThat(next.json().get("offset").asLong()).as("the duplicate took no offset")
                .isEqualTo(first.json().get("offset").asLong() + 1);
        assertThat(subscriber.receiveJson().get("data").asInt()).isEqualTo(1);
        assertThat(subscriber.receiveJson().get("data").asInt()).as("no second copy of the duplicate").isEqualTo(2);
    }

    @Test
    void publish_sameIdempotencyKeyOnAnotherTopic_isAnotherPublication() {
        api.post("/api/v1/topics/a/publish", json("{'data':1,'idempotencyKey':'k'}"));
        Answer other = api.post("/api/v1/topics/b/publish", json("{'data':1,'idempotencyKey':'k'}"));

        assertThat(other.json().get("duplicate").asBoolean()).isFalse();
        assertThat(other.json().get("offset").asLong()).isEqualTo(1);
    }

    @Test
    void publish_toTopicWithSlash_usesThePercentEncodedName() throws Exception {
        RawWebSocket subscriber = live("sam", "phone");
        subscribe(subscriber, "news/eu");

        Answer answer = api.post("/api/v1/topics/news%2Feu/publish", json("{'data':'hello'}"));

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("topic").asText()).isEqualTo("news/eu");
        JsonNode publication = subscriber.receiveJson();
        assertThat(publication.get("topic").asText()).isEqualTo("news/eu");
        assertThat(publication.get("data").asText()).isEqualTo("hello");
    }

    @Test
    void publish_refusesEachInvalidField_withCodeAndField() throws Exception {
        RawWebSocket subscriber = live("sam", "phone");
        subscribe(subscriber, "news");
        String tooBig = "x".repeat(MAX_DATA_BYTES);
        SoftAssertions soft = new SoftAssertions();
        softAssertError(soft, api.post("/api/v1/topics/news/publish", "{}"), 400, "missing_field", "data", "no data");
        softAssertError(soft, api.post("/api/v1/topics/news/publish", json("{'data':'" + tooBig + "'}")),
                413, "payload_too_large", "data", "data over topics.maxDataBytes");
        softAssertError(soft, api.post("/api/v1/topics/news/publish", json("{'data':'\\udc00'}")),
                400, "invalid_field", "data", "unpaired surrogate");
        softAssertError(soft, api.post("/api/v1/topics/news/publish", json("{'data':1,'idempotencyKey':''}")),
                400, "invalid_field", "idempotencyKey", "blank key");
        softAssertError(soft, api.post("/api/v1/topics/news/publish", json("{'data':1,'idempotencyKey':['k']}")),
                400, "invalid_field", "idempotencyKey", "key not a string");
        softAssertError(soft, api.post("/api/v1/topics/bad%20topic/publish", json("{'data':1}")),
                400, "invalid_field", "topic", "space in the topic");
        softAssertError(soft, api.post("/api/v1/topics/" + "t".repeat(129) + "/publish", json("{'data':1}")),
                400, "invalid_field", "topic", "129-char topic");
        soft.assertAll();

        Answer valid = api.post("/api/v1/topics/news/publish", json("{'data':'ok'}"));
        assertThat(valid.json().get("offset").asLong()).as("no refused request took an offset").isEqualTo(1);
        assertThat(subscriber.receiveJson().get("data").asText()).as("the first publication received").isEqualTo("ok");
    }

    // ---- POST /api/v1/users/{userId}/kick (delivery of kicks: ModerationTest) ----

    @Test
    void kick_answers202_withUserAndDevice_evenWhenUserIsOffline() {
        Answer all = api.post("/api/v1/users/nobody/kick", null);
        Answer empty = api.post("/api/v1/users/nobody/kick", "{}");
        Answer device = api.post("/api/v1/users/nobody/kick", json("{'deviceId':'phone','reason':'password changed'}"));

        assertThat(all.status()).as("%s", all).isEqualTo(202);
        assertThat(all.json().get("userId").asText()).isEqualTo("nobody");
        assertThat(all.json().get("deviceId").isNull()).isTrue();
        assertThat(empty.status()).isEqualTo(202);
        assertThat(device.status()).isEqualTo(202);
        assertThat(device.json().get("deviceId").asText()).isEqualTo("phone");
    }

    @Test
    void kick_refusesInvalidFields_andKicksNobody() throws Exception {
        RawWebSocket bob = live("bob", "phone");
        SoftAssertions soft = new SoftAssertions();
        softAssertError(soft, api.post("/api/v1/users/b%20ob/kick", "{}"), 400, "invalid_field", "userId", "bad user id");
        softAssertError(soft, api.post("/api/v1/users/bob/kick", json("{'deviceId':'pho ne'}")), 400, "invalid_field", "deviceId", "bad device");
        softAssertError(soft, api.post("/api/v1/users/bob/kick", json("{'deviceId':5}")), 400, "invalid_field", "deviceId", "numeric device");
        softAssertError(soft, api.post("/api/v1/users/bob/kick", json("{'reason':42}")), 400, "invalid_field", "reason", "numeric reason");
        softAssertError(soft, api.post("/api/v1/users/bob/kick", json("{'reason':'" + "r".repeat(201) + "'}")),
                400, "invalid_field", "reason", "201-char reason");
        soft.assertAll();

        assertStillServes(bob);
    }

    // ---- bans (effects on connections: ModerationTest) ----

    @Test
    void ban_answersTheBan_andListsIt_andUnbanAnswersBannedFalse() {
        long before = System.currentTimeMillis();
        Answer permanent = api.put("/api/v1/bans/mallory", json("{'reason':'abuse'}"));
        Answer timed = api.put("/api/v1/bans/bob", json("{'reason':'spam','durationSeconds':3600}"));
        Answer defaulted = api.put("/api/v1/bans/eve", null);

        assertThat(permanent.status()).as("%s", permanent).isEqualTo(200);
        assertThat(permanent.json().get("userId").asText()).isEqualTo("mallory");
        assertThat(permanent.json().get("reason").asText()).isEqualTo("abuse");
        assertThat(permanent.json().get("until").isNull()).as("permanent: until null").isTrue();
        assertThat(timed.json().get("until").asLong()).isBetween(before + 3_600_000, System.currentTimeMillis() + 3_600_000);
        assertThat(defaulted.status()).isEqualTo(200);
        assertThat(defaulted.json().get("reason").asText()).isNotBlank();

        JsonNode bans = api.get("/api/v1/bans").json().get("bans");
        assertThat(bans).extracting(ban -> ban.get("userId").asText()).containsExactlyInAnyOrder("mallory", "bob", "eve");
        JsonNode bob = findBy(bans, "userId", "bob");
        assertThat(bob.get("reason").asText()).isEqualTo("spam");
        assertThat(bob.get("until").asLong()).isEqualTo(timed.json().get("until").asLong());
        assertThat(findBy(bans, "userId", "mallory").get("until").isNull()).isTrue();

        Answer lifted = api.delete("/api/v1/bans/bob");
        assertThat(lifted.status()).isEqualTo(200);
        assertThat(lifted.json().get("userId").asText()).isEqualTo("bob");
        assertThat(lifted.json().get("banned").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/bans").json().get("bans")).extracting(ban -> ban.get("userId").asText())
                .containsExactlyInAnyOrder("mallory", "eve");
    }

    @Test
    void ban_again_replacesReasonAndEnd() {
        api.put("/api/v1/bans/bob", json("{'reason':'spam','durationSeconds':60}"));
        Answer again = api.put("/api/v1/bans/bob", json("{'reason':'worse'}"));

        assertThat(again.json().get("until").isNull()).isTrue();
        JsonNode bans = api.get("/api/v1/bans").json().get("bans");
        assertThat(bans).hasSize(1);
        assertThat(bans.get(0).get("reason").asText()).isEqualTo("worse");
        assertThat(bans.get(0).get("until").isNull()).isTrue();
    }

    @Test
    void ban_refusesInvalidFields_andBansNobody() {
        SoftAssertions soft = new SoftAssertions();
        softAssertError(soft, api.put("/api/v1/bans/b%20ob", "{}"), 400, "invalid_field", "userId", "bad user id");
        softAssertError(soft, api.put("/api/v1/bans/bob", json("{'reason':['spam']}")), 400, "invalid_field", "reason", "reason array");
        softAssertError(soft, api.put("/api/v1/bans/bob", json("{'reason':'" + "r".repeat(201) + "'}")),
                400, "invalid_field", "reason", "201-char reason");
        soft.assertAll();

        assertThat(api.get("/api/v1/bans").json().get("bans")).isEmpty();
    }

    @Test
    void unban_returns404NotFound_whenUserNotBanned() {
        assertError(api.delete("/api/v1/bans/bob"), 404, "not_found", "userId");
        assertError(api.delete("/api/v1/bans/b%20ob"), 400, "invalid_field", "userId");
    }

    // ---- GET /api/v1/presence ----

    @Test
    void presence_isTrueForConnectedUser_andFalseForOthers() throws Exception {
        live("alice", "phone");

        Answer answer = api.get("/api/v1/presence?users=alice,bob");

        assertThat(answer.status()).as("%s", answer).isEqualTo(200);
        assertThat(answer.json().get("online").get("alice").asBoolean()).isTrue();
        assertThat(answer.json().get("online").get("bob").asBoolean()).isFalse();
        assertThat(answer.json().get("online").size()).isEqualTo(2);
    }

    @Test
    void presence_turnsFalse_whenTheLastConnectionCloses() throws Exception {
        RawWebSocket alice = live("alice", "phone");
        alice.close();

        await().atMost(WAIT).untilAsserted(() -> assertThat(api.get("/api/v1/presence?users=alice")
                .json().get("online").get("alice").asBoolean()).isFalse());
    }

    @Test
    void presence_accepts200Users_andRefusesMore() {
        String twoHundred = IntStream.range(0, 200).mapToObj(i -> "user" + i).collect(Collectors.joining(","));
        Answer ok = api.get("/api/v1/presence?users=" + twoHundred);
        assertThat(ok.status()).as("%s", ok).isEqualTo(200);
        assertThat(ok.json().get("online").size()).isEqualTo(200);

        assertError(api.get("/api/v1/presence?users=" + twoHundred + ",user200"), 400, "invalid_field", "users");
    }

    @Test
    void presence_refusesMissingOrInvalidUsers() {
        assertError(api.get("/api/v1/presence"), 400, "missing_field", "users");
        assertError(api.get("/api/v1/presence?users="), 400, "missing_field", "users");
        assertError(api.get("/api/v1/presence?users=alice,b%20ob"), 400, "invalid_field", "users");
        assertError(api.get("/api/v1/presence?users=alice,,bob"), 400, "invalid_field", "users");
        assertError(api.get("/api/v1/presence?users=" + "a".repeat(129)), 400, "invalid_field", "users");
    }

    @Test
    void presence_refusesAListWithNoUser() {
        // "1-200 user ids": a list of separators only names nobody.
        assertError(api.get("/api/v1/presence?users=,"), 400, "invalid_field", "users");
    }

    // ---- groups ----

    @Test
    void group_lifecycle_createMembersAddRemoveDelete() {
        Answer created = api.post("/api/v1/groups", json("{'groupId':'g1','name':'Team','owner':'alice','members':['bob']}"));
        assertThat(created.status()).as("%s", created).isEqualTo(201);
        assertThat(created.json().get("groupId").asText()).isEqualTo("g1");
        assertThat(created.json().get("name").asText()).isEqualTo("Team");
        assertThat(members(created)).as("the owner is a member").containsExactlyInAnyOrder("alice", "bob");

        assertError(api.post("/api/v1/groups", json("{'groupId':'g1','name':'Other','owner':'carol'}")), 409, "group_exists", null);
        Answer listed = api.get("/api/v1/groups/g1/members");
        assertThat(listed.status()).isEqualTo(200);
        assertThat(listed.json().get("name").asText()).as("the refused create changed nothing").isEqualTo("Team");
        assertThat(members(listed)).containsExactlyInAnyOrder("alice", "bob");

        Answer added = api.post("/api/v1/groups/g1/members", json("{'userId':'carol'}"));
        assertThat(added.status()).isEqualTo(200);
        assertThat(added.json().get("groupId").asText()).isEqualTo("g1");
        assertThat(added.json().get("name").asText()).isEqualTo("Team");
        assertThat(members(added)).containsExactlyInAnyOrder("alice", "bob", "carol");
        assertThat(members(api.post("/api/v1/groups/g1/members", json("{'userId':'carol'}"))))
                .as("adding a member twice changes nothing").containsExactlyInAnyOrder("alice", "bob", "carol");

        Answer removed = api.delete("/api/v1/groups/g1/members/bob");
        assertThat(removed.status()).isEqualTo(200);
        assertThat(members(removed)).containsExactlyInAnyOrder("alice", "carol");
        assertError(api.delete("/api/v1/groups/g1/members/bob"), 409, "not_group_member", null);

        Answer deleted = api.delete("/api/v1/groups/g1");
        assertThat(deleted.status()).isEqualTo(200);
        assertThat(deleted.json().get("groupId").asText()).isEqualTo("g1");
        assertThat(deleted.json().get("deleted").asBoolean()).isTrue();
        assertError(api.get("/api/v1/groups/g1/members"), 404, "group_not_found", null);
        assertError(api.delete("/api/v1/groups/g1"), 404, "group_not_found", null);
        assertError(api.post("/api/v1/groups/g1/members", json("{'userId':'dave'}")), 404, "group_not_found", null);
        assertError(api.delete("/api/v1/groups/g1/members/alice"), 404, "group_not_found", null);
    }

    @Test
    void groupCreate_refusesEachInvalidField_andCreatesNothing() {
        String[][] cases = {
                {"{'name':'G','owner':'alice'}", "missing_field", "groupId"},
                {"{'groupId':'g 1','name':'G','owner':'alice'}", "invalid_field", "groupId"},
                {"{'groupId':7,'name':'G','owner':'alice'}", "invalid_field", "groupId"},
                {"{'groupId':'g1','name':'G'}", "missing_field", "owner"},
                {"{'groupId':'g1','name':'G','owner':'al ice'}", "invalid_field", "owner"},
                {"{'groupId':'g1','name':'  ','owner':'alice'}", "invalid_field", "name"},
                {"{'groupId':'g1','name':42,'owner':'alice'}", "invalid_field", "name"},
                {"{'groupId':'g1','name':'" + "n".repeat(101) + "','owner':'alice'}", "invalid_field", "name"},
                {"{'groupId':'g1','name':'G','owner':'alice','members':'bob'}", "invalid_field", "members"},
                {"{'groupId':'g1','name':'G','owner':'alice','members':['bob','not valid']}", "invalid_field", "members[1]"},
                {"{'groupId':'g1','name':'G','owner':'alice','members':['bob',3]}", "invalid_field", "members[1]"},
        };
        SoftAssertions soft = new SoftAssertions();
        for (String[] c : cases) {
            softAssertError(soft, api.post("/api/v1/groups", json(c[0])), 400, c[1], c[2], c[0]);
        }
        soft.assertAll();

        assertError(api.get("/api/v1/groups/g1/members"), 404, "group_not_found", null);
    }

    @Test
    void groupCreate_namesTheGroupAfterItsId_whenNameAbsent() {
        // docs/API.md: name is optional and defaults to the groupId.
        Answer answer = api.post("/api/v1/groups", json("{'groupId':'g1','owner':'alice'}"));

        assertThat(answer.status()).isEqualTo(201);
        assertThat(answer.json().get("name").asText()).isEqualTo("g1");
    }

    @Test
    void groupCreate_returns409GroupFull_overMaxGroupMembers_andCreatesNothing() {
        // The owner counts: owner + 4 members = 5 > limits.maxGroupMembers (4).
        Answer answer = api.post("/api/v1/groups", json("{'groupId':'big','name':'Big','owner':'alice','members':['b','c','d','e']}"));

        assertError(answer, 409, "group_full", null);
        assertError(api.get("/api/v1/groups/big/members"), 404, "group_not_found", null);
        Answer atLimit = api.post("/api/v1/groups", json("{'groupId':'big','name':'Big','owner':'alice','members':['b','c','alice','d']}"));
        assertThat(atLimit.status()).as("owner listed in members counts once: %s", atLimit).isEqualTo(201);
        assertThat(members(atLimit)).hasSize(MAX_GROUP_MEMBERS);
    }

    @Test
    void groupAddMember_refusesInvalidFields_andFullGroup() {
        createGroup("g1", "a", "b", "c", "d");
        SoftAssertions soft = new SoftAssertions();
        softAssertError(soft, api.post("/api/v1/groups/g1/members", "{}"), 400, "missing_field", "userId", "no userId");
        softAssertError(soft, api.post("/api/v1/groups/g1/members", json("{'userId':'e e'}")), 400, "invalid_field", "userId", "bad userId");
        softAssertError(soft, api.post("/api/v1/groups/g%201/members", json("{'userId':'e'}")), 400, "invalid_field", "groupId", "bad groupId");
        softAssertError(soft, api.post("/api/v1/groups/g1/members", json("{'userId':'e'}")), 409, "group_full", null, "full group");
        soft.assertAll();

        assertThat(members(api.get("/api/v1/groups/g1/members"))).containsExactlyInAnyOrder("a", "b", "c", "d");
    }

    @Test
    void groupPaths_refuseInvalidIds() {
        assertError(api.get("/api/v1/groups/g%201/members"), 400, "invalid_field", "groupId");
        assertError(api.delete("/api/v1/groups/g%201"), 400, "invalid_field", "groupId");
        createGroup("g1", "alice", "bob");
        assertError(api.delete("/api/v1/groups/g1/members/b%20ob"), 400, "invalid_field", "userId");
        assertThat(members(api.get("/api/v1/groups/g1/members"))).containsExactlyInAnyOrder("alice", "bob");
    }

    // ---- GET /api/v1/users/{userId}/messages ----

    @Test
    void history_pagesWithLimitAndAfterSeq() {
        List<Long> ids = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
            ids.add(api.post("/api/v1/messages", "{\"from\":\"alice\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":" + i + "}")
                    .json().get("messageId").asLong());
        }

        JsonNode first = api.get("/api/v1/users/bob/messages?limit=2").json();
        assertThat(first.get("userId").asText()).isEqualTo("bob");
        assertThat(seqs(first)).containsExactly(1L, 2L);
        assertThat(first.get("messages").get(0).get("id").asLong()).isEqualTo(ids.get(0));
        assertThat(first.get("hasMore").asBoolean()).isTrue();
        assertThat(first.get("lastSeq").asLong()).isEqualTo(5);
        assertThat(first.get("truncatedBefore").asLong()).isZero();

        JsonNode second = api.get("/api/v1/users/bob/messages?afterSeq=2&limit=2").json();
        assertThat(seqs(second)).containsExactly(3L, 4L);
        assertThat(second.get("messages")).extracting(entry -> entry.get("body").asInt()).containsExactly(3, 4);
        assertThat(second.get("hasMore").asBoolean()).isTrue();

        JsonNode last = api.get("/api/v1/users/bob/messages?afterSeq=4&limit=2").json();
        assertThat(seqs(last)).containsExactly(5L);
        assertThat(last.get("hasMore").asBoolean()).isFalse();

        JsonNode beyond = api.get("/api/v1/users/bob/messages?afterSeq=5").json();
        assertThat(beyond.get("messages")).isEmpty();
        assertThat(beyond.get("hasMore").asBoolean()).isFalse();
        assertThat(beyond.get("lastSeq").asLong()).isEqualTo(5);

        JsonNode all = api.get("/api/v1/users/bob/messages").json();
        assertThat(seqs(all)).as("defaults: afterSeq 0, limit 100").containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(all.get("hasMore").asBoolean()).isFalse();
        assertThat(api.get("/api/v1/users/bob/messages?limit=1000").status()).as("limit 1000 is allowed").isEqualTo(200);
    }

    @Test
    void history_ofUserWithoutMessages_isEmpty() {
        JsonNode page = history("nobody");
        assertThat(page.get("messages")).isEmpty();
        assertThat(page.get("lastSeq").asLong()).isZero();
        assertThat(page.get("hasMore").asBoolean()).isFalse();
        assertThat(page.get("truncatedBefore").asLong()).isZero();
    }

    @Test
    void history_refusesInvalidQueryParameters() {
        for (String limit : List.of("0", "1001", "x", "-1", "1.5")) {
            assertError(api.get("/api/v1/users/bob/messages?limit=" + limit), 400, "invalid_field", "limit");
        }
        for (String afterSeq : List.of("-1", "x")) {
            assertError(api.get("/api/v1/users/bob/messages?afterSeq=" + afterSeq), 400, "invalid_field", "afterSeq");
        }
        assertError(api.get("/api/v1/users/b%20ob/messages"), 400, "invalid_field", "userId");
    }

    // ---- GET /api/v1/stats ----

    @Test
    void stats_countsOpenSockets() throws Exception {
        live("alice", "phone");
        live("alice", "laptop");
        RawWebSocket bob = live("bob", "phone");

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode stats = api.get("/api/v1/stats").json();
            assertThat(stats.get("nodes")).hasSize(1);
            assertThat(stats.get("nodes").get(0).get("connections").asLong()).as("node connections").isEqualTo(3);
            assertThat(stats.get("nodes").get(0).get("users").asLong()).as("distinct users").isEqualTo(2);
            assertThat(stats.get("connections").asLong()).as("cluster connections").isEqualTo(3);
        });
        JsonNode node = api.get("/api/v1/stats").json().get("nodes").get(0);
        for (String field : List.of("nodeId", "topicSubscriptions", "messagesInPerSecond", "messagesOutPerSecond",
                "deliveryLatencyP50Millis", "deliveryLatencyP99Millis", "slowConsumerCloses", "kicks", "uptimeSeconds", "updatedAt")) {
            assertThat(node.has(field)).as("nodes[0].%s in %s", field, node).isTrue();
        }
        assertThat(node.has("events")).as("events are listed once, at the top level").isFalse();

        bob.close();
        await().atMost(WAIT).untilAsserted(() -> assertThat(api.get("/api/v1/stats").json().get("connections").asLong())
                .as("after one socket closed").isEqualTo(2));
    }

    /** The node's p50/p99 of the last minute come from the delivery latency histogram (RecentPercentiles). */
    @Test
    void stats_showTheDeliveryLatency_onceAMessageWasDeliveredLive() throws Exception {
        RawWebSocket bob = live("bob", "phone");
        JsonNode before = api.get("/api/v1/stats").json().get("nodes").get(0);
        assertThat(before.get("deliveryLatencyP99Millis").asDouble()).as("nothing delivered yet").isZero();

        assertThat(api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'hi'}"))
                .status()).isEqualTo(200);
        assertThat(bob.receiveType("message").get("message").get("body").asText()).isEqualTo("hi");

        await().atMost(WAIT).untilAsserted(() -> { // the node samples its stats once a second
            JsonNode node = api.get("/api/v1/stats").json().get("nodes").get(0);
            assertThat(node.get("deliveryLatencyP50Millis").asDouble()).as("p50 in %s", node).isPositive();
            assertThat(node.get("deliveryLatencyP99Millis").asDouble())
                    .isGreaterThanOrEqualTo(node.get("deliveryLatencyP50Millis").asDouble());
        });
    }

    @Test
    void stats_showsKickEvent_afterAKick() throws Exception {
        RawWebSocket bob = live("bob", "phone");

        assertThat(api.post("/api/v1/users/bob/kick", json("{'reason':'password changed'}")).status()).isEqualTo(202);
        assertThat(bob.awaitClose(WAIT)).isEqualTo(4003);

        await().atMost(WAIT).untilAsserted(() -> {
            JsonNode stats = api.get("/api/v1/stats").json();
            assertThat(stats.get("events")).as("events in %s", stats).isNotEmpty();
            JsonNode event = stats.get("events").get(0);
            assertThat(event.get("kind").asText()).isEqualTo("kick");
            assertThat(event.get("userId").asText()).isEqualTo("bob");
            assertThat(event.get("reason").asText()).isEqualTo("password changed");
            assertThat(event.get("nodeId").asText()).isEqualTo(stats.get("nodes").get(0).get("nodeId").asText());
            assertThat(event.get("connectionId").asText()).isNotBlank();
            assertThat(event.get("at").asLong()).isPositive();
            assertThat(stats.get("nodes").get(0).get("kicks").asLong()).isEqualTo(1);
        });
        assertThat(api.get("/metrics").sample("switchboard_kicks_total")).isEqualTo(1.0);
    }

    // ---- GET /metrics, GET /admin ----

    @Test
    void metrics_needNoKey_andExportTheDocumentedNames() throws Exception {
        live("alice", "phone");
        live("bob", "phone");
        api.put("/api/v1/bans/mallory", json("{'reason':'spam'}"));
        try (RawWebSocket refused = RawWebSocket.connect(server.port(), "/ws?user=mallory&device=d")) {
            assertThat(refused.handshake().status()).isEqualTo(403);
        }
        api.post("/api/v1/messages", json("{'from':'alice','to':{'kind':'user','id':'bob'},'body':'hi'}"));
        ApiClient anonymous = ApiClient.withHeaders(server.apiPort(), Map.of());

        await().atMost(WAIT).untilAsserted(() -> {
            Answer metrics = anonymous.get("/metrics");
            assertThat(metrics.status()).isEqualTo(200);
            assertThat(metrics.contentType()).startsWith("text/plain");
            assertThat(metrics.sample("switchboard_connections")).as("open connections").isEqualTo(2.0);
            assertThat(metrics.sample("switchboard_handshakes_total{reason=\"ok\",result=\"accepted\"}")).isEqualTo(2.0);
            assertThat(metrics.sample("switchboard_handshakes_total{reason=\"banned\",result=\"rejected\"}")).isEqualTo(1.0);
            assertThat(metrics.sample("switchboard_rate_limit_untracked_total{limit=\"user_send\"}"))
                    .as("no user let through uncounted").isZero();
            assertThat(metrics.sample("switchboard_rate_limited_total{limit=\"user_send\"}")).as("no send refused").isZero();
            assertThat(metrics.sample("switchboard_delivery_latency_seconds_count"))
                    .as("alice's and bob's copies of the message").isEqualTo(2.0);
            assertThat(metrics.sample("switchboard_store_write_seconds_count"))
                    .as("the ban and the message, at least").isGreaterThanOrEqualTo(2.0);
            assertThat(metrics.sample("switchboard_store_queue_writes")).as("every write committed").isZero();
            assertThat(metrics.text()).contains("switchboard_delivery_latency_seconds_bucket{le=")
                    .contains("jvm_memory_used_bytes{").contains("switchboard_messages_in_total{kind=\"chat\"}");
        });
    }

    @Test
    void adminPage_isServedWithoutKey() {
        Answer page = ApiClient.withHeaders(server.apiPort(), Map.of()).get("/admin");
        assertThat(page.status()).isEqualTo(200);
        assertThat(page.contentType()).startsWith("text/html");
        assertError(ApiClient.withHeaders(server.apiPort(), Map.of()).get("/admin/../pom.xml"), 404, "not_found", null);
    }

    // ---- helpers ----

    /** A WebSocket session that has resumed: chat messages arrive live from here on. */
    private RawWebSocket live(String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        sockets.add(socket);
        assertThat(socket.handshake().status()).as("handshake of %s/%s", user, device).isEqualTo(101);
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("welcome");
        socket.sendText("{\"type\":\"resume\"}");
        JsonNode synced = socket.receiveJson();
        while (!synced.get("type").asText().equals("synced")) {
            synced = socket.receiveJson();
        }
        return socket;
    }

    /** Subscribes and returns the result's data. */
    private static JsonNode subscribe(RawWebSocket socket, String topic) throws IOException {
        socket.sendText("{\"type\":\"subscribe\",\"ref\":\"s-" + topic + "\",\"topic\":\"" + topic + "\"}");
        JsonNode result = socket.receiveJson();
        assertThat(result.get("type").asText()).as("subscribe reply %s", result).isEqualTo("result");
        assertThat(result.get("data").get("topic").asText()).isEqualTo(topic);
        return result.get("data");
    }

    private static void assertStillServes(RawWebSocket socket) throws IOException {
        socket.sendText("{\"type\":\"ping\",\"ref\":\"alive\"}");
        JsonNode pong = socket.receiveJson();
        assertThat(pong.get("type").asText()).as("connection still up").isEqualTo("pong");
    }

    private JsonNode history(String user) {
        Answer answer = api.get("/api/v1/users/" + user + "/messages");
        assertThat(answer.status()).as("history of %s: %s", user, answer).isEqualTo(200);
        return answer.json();
    }

    private void createGroup(String groupId, String owner, String... members) {
        String list = java.util.Arrays.stream(members).map(member -> "'" + member + "'").collect(Collectors.joining(","));
        Answer answer = api.post("/api/v1/groups", json("{'groupId':'" + groupId + "','name':'" + groupId + "','owner':'"
                + owner + "','members':[" + list + "]}"));
        assertThat(answer.status()).as("create %s: %s", groupId, answer).isEqualTo(201);
    }

    private static List<String> members(Answer group) {
        List<String> members = new ArrayList<>();
        group.json().get("members").forEach(member -> members.add(member.asText()));
        return members;
    }

    private static List<Long> seqs(JsonNode page) {
        List<Long> seqs = new ArrayList<>();
        page.get("messages").forEach(entry -> seqs.add(entry.get("seq").asLong()));
        return seqs;
    }

    private static JsonNode findBy(JsonNode array, String field, String value) {
        for (JsonNode element : array) {
            if (element.get(field).asText().equals(value)) {
                return element;
            }
        }
        throw new AssertionError("no element with " + field + "=" + value + " in " + array);
    }

    /** Single quotes to double quotes, so JSON in tests stays readable. */
    static String json(String singleQuoted) {
        return singleQuoted.replace('\'', '"');
    }

    static void assertError(Answer answer, int status, String error, String field) {
        assertThat(answer.status()).as("status of %s", answer).isEqualTo(status);
        assertThat(answer.contentType()).as("content type of %s", answer).startsWith("application/json");
        assertThat(answer.error()).as("error of %s", answer).isEqualTo(error);
        assertThat(answer.json().hasNonNull("message")).as("message in %s", answer).isTrue();
        assertThat(answer.field()).as("field of %s", answer).isEqualTo(field);
    }

    private static void softAssertError(SoftAssertions soft, Answer answer, int status, String error, String field, String what) {
        soft.assertThat(answer.status()).as("status for %s: %s", what, answer).isEqualTo(status);
        soft.assertThat(answer.error()).as("error for %s: %s", what, answer).isEqualTo(error);
        soft.assertThat(answer.field()).as("field for %s: %s", what, answer).isEqualTo(field);
    }

    private static String readHttpAnswer(InputStream in) throws IOException {
        StringBuilder answer = new StringBuilder();
        int contentLength = -1;
        StringBuilder line = new StringBuilder();
        while (true) {
            int value = in.read();
            if (value < 0) {
                return answer.toString();
            }
            answer.append((char) value);
            if (value != '\n') {
                line.append((char) value);
                continue;
            }
            String header = line.toString().trim();
            line.setLength(0);
            if (header.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                contentLength = Integer.parseInt(header.substring("content-length:".length()).trim());
            }
            if (header.isEmpty()) {
                break;
            }
        }
        if (contentLength > 0) {
            answer.append(new String(in.readNBytes(contentLength), StandardCharsets.UTF_8));
        }
        return answer.toString();
    }
}
