package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.client.ConnectionState;
import dev.switchboard.client.InboxMessage;
import dev.switchboard.client.SendReceipt;
import dev.switchboard.client.Target;
import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestClient;
import dev.switchboard.server.testing.TestServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import java.util.zip.Inflater;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End to end with a real server on port 0 and the real Java SDK (R5, R7, R12). */
class ChatEndToEndTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dataDirectory;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private TestServer server(Map<String, Object> overrides) throws InterruptedException {
        TestServer server = TestServer.start(dataDirectory, overrides);
        resources.add(server);
        return server;
    }

    private TestClient client(TestServer server, String user, String device) {
        TestClient client = TestClient.connect(server.webSocketUri(), user, device);
        resources.add(client);
        return client;
    }

    @Test
    void directMessage_reachesEveryRecipientDevice_andSendersOtherDevices() throws Exception {
        TestServer server = server(Map.of());
        TestClient alicePhone = client(server, "alice", "phone");
        TestClient aliceLaptop = client(server, "alice", "laptop");
        TestClient bobPhone = client(server, "bob", "phone");
        TestClient bobTablet = client(server, "bob", "tablet");

        SendReceipt receipt = alicePhone.sdk().send(Target.user("bob"), "hello bob", "hello-1").get(10, TimeUnit.SECONDS);

        assertThat(receipt.duplicate()).isFalse();
        assertThat(receipt.messageId()).isPositive();
        for (TestClient device : List.of(alicePhone, aliceLaptop, bobPhone, bobTablet)) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(device.receivedClientIds())
                    .as("copies on %s/%s", device.sdk().userId(), device.sdk().deviceId()).containsExactly("hello-1"));
        }
        InboxMessage atBob = bobPhone.messages.peek();
        assertThat(atBob.from()).isEqualTo("alice");
        assertThat(atBob.fromDevice()).isEqualTo("phone");
        assertThat(atBob.body().asText()).isEqualTo("hello bob");
        assertThat(atBob.id()).isEqualTo(receipt.messageId());
        assertThat(atBob.conversationId("bob")).isEqualTo("alice");
        assertThat(alicePhone.messages.peek().seq()).as("sender's own inbox seq").isEqualTo(receipt.seq());
    }

    @Test
    void textOutsideAscii_arrivesUnchanged() throws Exception { // through the command's decoding and the delivery's encoding
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        TestClient bob = client(server, "bob", "phone");
        String text = "h\u00e9llo \u65e5\u672c \uD83D\uDE00 \u0000 \\ \"";

        alice.sdk().send(Target.user("bob"), text, "unicode-1").get(10, TimeUnit.SECONDS);

        await().atMost(WAIT).untilAsserted(() -> assertThat(bob.messages).singleElement()
                .satisfies(message -> assertThat(message.body().textValue()).isEqualTo(text)));
    }

    /**
     * The server frames a connection's messages itself unless it negotiated permessage-deflate: the
     * deflate connection's reply and delivery must come compressed, the plain device's the same JSON,
     * uncompressed, at every length class of the frame header (7-bit, 16-bit and 64-bit lengths).
     */
    @Test
    void directMessages_comeCompressedOnAPermessageDeflateConnection_andPlainOnAnother() throws Exception {
        TestServer server = server(Map.of("limits.maxBodyBytes", 100_000, "limits.maxMessageBytes", 200_000,
                "server.compression", true));
        Map<String, String> deflate = Map.of("Sec-WebSocket-Extensions", "permessage-deflate");
        RawWebSocket senderCompressed = RawWebSocket.connect(server.port(), "/ws?user=ann&device=d", deflate);
        resources.add(senderCompressed);
        RawWebSocket recipientCompressed = RawWebSocket.connect(server.port(), "/ws?user=ben&device=d", deflate);
        resources.add(recipientCompressed);
        RawWebSocket recipientPlain = RawWebSocket.connect(server.port(), "/ws?user=ben&device=e");
        resources.add(recipientPlain);
        Inflater senderInflater = new Inflater(true);
        Inflater recipientInflater = new Inflater(true);
        senderCompressed.receiveInflatedType(senderInflater, "welcome");
        recipientCompressed.receiveInflatedType(recipientInflater, "welcome");
        recipientPlain.receiveType("welcome");
        recipientCompressed.sendText("{\"type\":\"resume\",\"afterSeq\":0}"); // live deliveries start with it
        recipientPlain.sendText("{\"type\":\"resume\",\"afterSeq\":0}");

        for (int length : List.of(5, 300, 70_000)) {
            String body = "x".repeat(length);
            senderCompressed.sendText("{\"type\":\"send\",\"ref\":\"r" + length + "\",\"clientId\":\"c" + length
                    + "\",\"to\":{\"kind\":\"user\",\"id\":\"ben\"},\"body\":\"" + body + "\"}");

            JsonNode sent = senderCompressed.receiveInflatedType(senderInflater, "sent");
            assertThat(sent.get("ref").asText()).isEqualTo("r" + length);
            JsonNode compressed = recipientCompressed.receiveInflatedType(recipientInflater, "message");
            JsonNode plain = recipientPlain.receiveType("message");
            assertThat(plain).isEqualTo(compressed);
            assertThat(plain.get("message").get("body").asText()).isEqualTo(body);
        }
        senderInflater.end();
        recipientInflater.end();
    }

    @Test
    void groupMessage_fansOutToEveryMembersDevices_once() throws Exception {
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        TestClient bob = client(server, "bob", "phone");
        TestClient carolPhone = client(server, "carol", "phone");
        TestClient carolWeb = client(server, "carol", "web");
        TestClient outsider = client(server, "dave", "phone");

        alice.sdk().createGroup("team", "The team", List.of("bob", "carol")).get(10, TimeUnit.SECONDS);
        List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            sends.add(alice.sdk().send(Target.group("team"), "group message " + i, "g-" + i));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(20, TimeUnit.SECONDS);

        List<String> expected = IntStream.range(0, 20).mapToObj(i -> "g-" + i).toList();
        for (TestClient member : List.of(alice, bob, carolPhone, carolWeb)) {
            await().atMost(WAIT).untilAsserted(() -> assertThat(member.receivedClientIds())
                    .as("group messages on %s/%s, in order, once", member.sdk().userId(), member.sdk().deviceId())
                    .containsExactlyElementsOf(expected));
        }
        assertThat(carolPhone.messages).extracting(InboxMessage::seq).containsExactlyElementsOf(
                carolWeb.messages.stream().map(InboxMessage::seq).toList());
        assertThat(outsider.messages).isEmpty();
    }

    @Test
    void offlineUser_getsEverything_inOrder_onNextConnect() throws Exception {
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            sends.add(alice.sdk().send(Target.user("bob"), i, "offline-" + i));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);

        TestClient bob = client(server, "bob", "phone");

        await().atMost(WAIT).untilAsserted(() -> assertThat(bob.messages).hasSize(300));
        assertThat(bob.messages).extracting(InboxMessage::seq).containsExactlyElementsOf(
                IntStream.rangeClosed(1, 300).mapToObj(Long::valueOf).toList());
        assertThat(bob.messages).extracting(message -> message.body().asInt()).containsExactlyElementsOf(
                IntStream.range(0, 300).boxed().toList());
    }

    @Test
    void eachDevice_resumesFromItsOwnCursor() throws Exception {
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        TestClient bobPhone = client(server, "bob", "phone");
        alice.sdk().send(Target.user("bob"), "first", "c-1").get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).untilAsserted(() -> assertThat(bobPhone.receivedClientIds()).containsExactly("c-1"));
        bobPhone.close();
        alice.sdk().send(Target.user("bob"), "second", "c-2").get(10, TimeUnit.SECONDS);

        // A fresh process on the same device (no local state) continues after the acknowledged cursor.
        TestClient bobPhoneAgain = client(server, "bob", "phone");
        await().atMost(WAIT).untilAsserted(() -> assertThat(bobPhoneAgain.receivedClientIds()).containsExactly("c-2"));
        // A device that never acknowledged anything gets both.
        TestClient bobTablet = client(server, "bob", "tablet");
        await().atMost(WAIT).untilAsserted(() -> assertThat(bobTablet.receivedClientIds()).containsExactly("c-1", "c-2"));
    }

    @Test
    void resumeAfterASeqTheInboxNeverReached_streamsFromItsNewest_soTheNextMessagesArrive() throws Exception {
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        alice.sdk().send(Target.user("bob"), "before", "c-1").get(10, TimeUnit.SECONDS);
        // A client that kept its position across a reset of the server's store: seq 40 was another inbox's.
        try (RawWebSocket bob = RawWebSocket.connect(server.port(), "/ws?user=bob&device=phone")) {
            assertThat(bob.receiveType("welcome").get("lastSeq").asLong()).isEqualTo(1);
            // The ack in the same read as the resume, so before the resume's read of the store: ignored.
            bob.sendTexts("{\"type\":\"resume\",\"afterSeq\":40}", "{\"type\":\"ack\",\"seq\":40}");
            assertThat(bob.receiveType("synced").get("seq").asLong()).as("the inbox's newest seq").isEqualTo(1);
            Connection connection = server.registry().connection("bob", "phone");
            assertThat(connection.eventLoop().submit(() -> connection.inbox().cursor()).get(10, TimeUnit.SECONDS))
                    .as("cursor after the ack of a seq this connection was never sent").isZero();

            alice.sdk().send(Target.user("bob"), "after", "c-2").get(10, TimeUnit.SECONDS);

            JsonNode next = bob.receiveType("message");
            assertThat(next.get("seq").asLong()).isEqualTo(2);
            assertThat(next.path("message").path("clientId").asText()).isEqualTo("c-2");
            bob.sendText("{\"type\":\"ack\",\"seq\":2}");
        }
        await().atMost(WAIT).untilAsserted(() -> {
            try (RawWebSocket again = RawWebSocket.connect(server.port(), "/ws?user=bob&device=phone")) {
                assertThat(again.receiveType("welcome").get("cursor").asLong()).as("the device's cursor").isEqualTo(2);
            }
        });
    }

    @Test
    void resend_withSameClientId_createsNoSecondMessage() throws Exception {
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        TestClient bob = client(server, "bob", "phone");

        SendReceipt first = alice.sdk().send(Target.user("bob"), "once", "same-id").get(10, TimeUnit.SECONDS);
        SendReceipt second = alice.sdk().send(Target.user("bob"), "once", "same-id").get(10, TimeUnit.SECONDS);

        assertThat(first.duplicate()).isFalse();
        assertThat(second.duplicate()).isTrue();
        assertThat(second.messageId()).isEqualTo(first.messageId());
        assertThat(second.seq()).isEqualTo(first.seq());
        alice.sdk().send(Target.user("bob"), "marker", "marker").get(10, TimeUnit.SECONDS);
        await().atMost(WAIT).untilAsserted(() -> assertThat(bob.receivedClientIds()).containsExactly("same-id", "marker"));
    }

    @Test
    void serverRestart_midStream_losesNothing_andDuplicatesNothing() throws Exception {
        TestServer server = server(Map.of("limits.sendsPerSecond", 100_000, "limits.sendBurst", 100_000,
                "limits.userSendsPerSecond", 0));
        TestClient alice = client(server, "alice", "phone");
        TestClient bob = client(server, "bob", "phone");
        int total = 400;
        AtomicInteger acknowledged = new AtomicInteger();
        List<CompletableFuture<SendReceipt>> sends = new ArrayList<>();
        for (int i = 0; i < total / 2; i++) {
            sends.add(alice.sdk().send(Target.user("bob"), i, "r-" + i).whenComplete((r, e) -> acknowledged.incrementAndGet()));
        }
        await().atMost(WAIT).until(() -> acknowledged.get() >= total / 4);
        server.restart();
        for (int i = total / 2; i < total; i++) {
            sends.add(alice.sdk().send(Target.user("bob"), i, "r-" + i));
        }
        CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);

        List<String> expected = IntStream.range(0, total).mapToObj(i -> "r-" + i).toList();
        await().atMost(WAIT).untilAsserted(() -> assertThat(bob.receivedClientIds())
                .as("every message exactly once, in send order").containsExactlyElementsOf(expected));
        assertThat(alice.receivedClientIds()).as("sender's own copies").containsExactlyElementsOf(expected);
        assertThat(bob.sdk().stats().reconnects()).as("bob reconnected after the restart").isPositive();
    }

    @Test
    void presence_reportsWhoIsOnline_andFollowsDisconnects() throws Exception {
        TestServer server = server(Map.of());
        TestClient alice = client(server, "alice", "phone");
        TestClient bob = client(server, "bob", "phone");
        com.fasterxml.jackson.databind.node.ObjectNode query = com.fasterxml.jackson.databind.node.JsonNodeFactory.instance.objectNode();
        query.putArray("users").add("alice").add("bob").add("carol");

        var online = alice.sdk().request("presence.query", query).get(10, TimeUnit.SECONDS).get("online");
        assertThat(online.get("alice").asBoolean()).isTrue();
        assertThat(online.get("bob").asBoolean()).isTrue();
        assertThat(online.get("carol").asBoolean()).isFalse();

        bob.close();
        await().atMost(WAIT).untilAsserted(() -> assertThat(alice.sdk().request("presence.query", query)
                .get(10, TimeUnit.SECONDS).get("online").get("bob").asBoolean()).as("bob after closing").isFalse());
    }

    @Test
    void sameDeviceLogin_kicksOldConnection_whichStopsReconnecting() throws Exception {
        TestServer server = server(Map.of());
        TestClient first = client(server, "bob", "phone");
        TestClient second = client(server, "bob", "phone");

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(first.kicks).hasSize(1);
            assertThat(first.sdk().state()).isEqualTo(ConnectionState.CLOSED);
        });
        assertThat(first.closeCodes).contains(CloseCodes.KICKED);
        assertThat(second.sdk().state()).isEqualTo(ConnectionState.CONNECTED);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).untilAsserted(() -> {
            assertThat(server.registry().connectionsOf("bob")).as("only the new connection").hasSize(1);
            assertThat(first.sdk().state()).isEqualTo(ConnectionState.CLOSED);
        });
    }

    @Test
    void heartbeat_closesSilentConnection_andKeepsAnsweringClient() throws Exception {
        TestServer server = server(Map.of("heartbeat.pingIntervalMillis", 100, "heartbeat.pingTimeoutMillis", 400));
        TestClient live = client(server, "alice", "phone");
        try (RawWebSocket silent = RawWebSocket.connect(server.port(), "/ws?user=mute&device=d")) {
            assertThat(silent.receiveJson().get("type").asText()).isEqualTo("welcome");
            RawWebSocket.Frame ping = silent.receive(Duration.ofSeconds(5));
            assertThat(ping.opcode()).as("server pings a silent client").isEqualTo(RawWebSocket.PING);
            assertThat(silent.awaitClose(Duration.ofSeconds(5))).isEqualTo(CloseCodes.HEARTBEAT_TIMEOUT);
        }
        await().atMost(WAIT).untilAsserted(() -> assertThat(server.registry().connectionsOf("mute")).isEmpty());
        assertThat(live.closeCodes).as("the SDK answers pings and is never timed out").isEmpty();
        assertThat(live.sdk().state()).isEqualTo(ConnectionState.CONNECTED);
    }

    @Test
    void expiredToken_closesWith4001_andClientReconnectsWithFreshToken() throws Exception {
        TestServer server = server(Map.of());
        AtomicInteger tokensIssued = new AtomicInteger();
        // exp one second in the past is still inside the server's 60 s skew allowance; pick a lifetime
        // that lands the expiry (exp + skew) a moment from now.
        TestClient client = TestClient.connect(server.webSocketUri(), null, "phone", builder -> builder
                .devUser(null)
                .tokenProvider(() -> {
                    tokensIssued.incrementAndGet();
                    return TestServer.token("erin", null, Duration.ofMillis(1500).minusSeconds(60));
                }));
        resources.add(client);

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(client.closeCodes).contains(CloseCodes.TOKEN_EXPIRED);
            assertThat(tokensIssued.get()).isGreaterThanOrEqualTo(2);
            assertThat(client.sdk().state()).isEqualTo(ConnectionState.CONNECTED);
        });
    }
}
