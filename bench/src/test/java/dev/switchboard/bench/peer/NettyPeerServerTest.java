package dev.switchboard.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The bare Netty peer speaks the peers' protocol as the Bun peer does, seen from the JDK's WebSocket client. */
class NettyPeerServerTest {
    private final HttpClient http = HttpClient.newHttpClient();
    private NettyPeerServer server;

    @BeforeEach
    void start() throws InterruptedException {
        server = NettyPeerServer.start("127.0.0.1", 0, 1);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void aNewConnection_isWelcomedWithItsUser() {
        Client alice = connect("alice");

        await().atMost(Duration.ofSeconds(10)).until(() -> !alice.frames.isEmpty());
        assertThat(alice.frames).containsExactly("{\"type\":\"welcome\",\"user\":\"alice\"}");
    }

    @Test
    void aSend_reachesEveryConnectionOfTheUser_withTheSenderAndTheBodyAsSent() {
        Client alice = connect("alice");
        Client bobPhone = connect("bob");
        Client bobLaptop = connect("bob");
        awaitWelcome(alice, bobPhone, bobLaptop);

        alice.send("{\"type\":\"send\",\"to\":\"bob\",\"body\":{\"text\":\"hi\",\"n\":[1,2]}}");

        String expected = "{\"type\":\"message\",\"from\":\"alice\",\"body\":{\"text\":\"hi\",\"n\":[1,2]}}";
        await().atMost(Duration.ofSeconds(10)).until(() -> bobPhone.frames.size() == 2 && bobLaptop.frames.size() == 2);
        assertThat(bobPhone.frames.get(1)).isEqualTo(expected);
        assertThat(bobLaptop.frames.get(1)).isEqualTo(expected);
        assertNothingMoreThan(alice, 1);
    }

    @Test
    void aSendToAUserWithNoConnection_reachesNobody_andTheSenderStaysConnected() {
        Client alice = connect("alice");
        awaitWelcome(alice);

        alice.send("{\"type\":\"send\",\"to\":\"nobody\",\"body\":1}");

        assertNothingMoreThan(alice, 1);
    }

    @Test
    void aPublication_reachesEverySubscriber_thePublisherIncluded_andNobodyElse() {
        Client publisher = connect("p");
        Client subscriber = connect("s");
        Client bystander = connect("b");
        awaitWelcome(publisher, subscriber, bystander);
        publisher.send("{\"type\":\"subscribe\",\"topic\":\"news\"}");
        subscriber.send("{\"type\":\"subscribe\",\"topic\":\"news\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.frames.size() == 2 && subscriber.frames.size() == 2);
        assertThat(subscriber.frames.get(1)).isEqualTo("{\"type\":\"subscribed\",\"topic\":\"news\"}");

        publisher.send("{\"type\":\"publish\",\"topic\":\"news\",\"data\":{\"n\":1}}");

        String expected = "{\"type\":\"publication\",\"topic\":\"news\",\"data\":{\"n\":1}}";
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.frames.size() == 3 && subscriber.frames.size() == 3);
        assertThat(publisher.frames.get(2)).isEqualTo(expected);
        assertThat(subscriber.frames.get(2)).isEqualTo(expected);
        assertNothingMoreThan(bystander, 1);
    }

    @Test
    void aPublicationWithoutData_hasNoDataField_asJsonStringifyWouldWriteIt() {
        Client publisher = connect("p");
        awaitWelcome(publisher);
        publisher.send("{\"type\":\"subscribe\",\"topic\":\"t\"}");
        publisher.send("{\"type\":\"publish\",\"topic\":\"t\"}");

        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.frames.size() == 3);
        assertThat(publisher.frames.get(2)).isEqualTo("{\"type\":\"publication\",\"topic\":\"t\"}");
    }

    @Test
    void aRequestWithoutUser_isRefusedWith400_andAnotherPath_with404() throws Exception {
        HttpClient plain = HttpClient.newHttpClient();

        HttpResponse<String> noUser = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/ws")).build(),
                HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> elsewhere = plain.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/other?user=a")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(noUser.statusCode()).isEqualTo(400);
        assertThat(noUser.body()).isEqualTo("user required");
        assertThat(elsewhere.statusCode()).isEqualTo(404);
    }

    @Test
    void malformedJsonAndUnknownTypes_areIgnored_andTheConnectionStillAnswersPings() {
        Client alice = connect("alice");
        awaitWelcome(alice);

        alice.send("{not json");
        alice.send("{\"type\":\"ping\"} trailing");
        alice.send("{\"type\":\"dance\"}");
        alice.send("{\"type\":\"ping\"}");

        await().atMost(Duration.ofSeconds(10)).until(() -> alice.frames.size() == 2);
        assertThat(alice.frames.get(1)).isEqualTo("{\"type\":\"pong\"}");
        assertNothingMoreThan(alice, 2);
    }

    /**
     * The client got exactly {@code count} frames: a ping is sent as a barrier and its pong must be the
     * next frame (one event loop answers a connection in order), so nothing else was on its way.
     */
    private static void assertNothingMoreThan(Client client, int count) {
        client.send("{\"type\":\"ping\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> client.frames.size() > count);
        assertThat(client.frames).hasSize(count + 1);
        assertThat(client.frames.get(count)).isEqualTo("{\"type\":\"pong\"}");
    }

    private void awaitWelcome(Client... clients) {
        for (Client client : clients) {
            await().atMost(Duration.ofSeconds(10)).until(() -> !client.frames.isEmpty());
        }
    }

    private Client connect(String user) {
        Client client = new Client();
        client.socket = http.newWebSocketBuilder()
                .buildAsync(URI.create("ws://127.0.0.1:" + server.port() + "/ws?user=" + user), client)
                .orTimeout(10, TimeUnit.SECONDS)
                .join();
        return client;
    }

    /** A connection that records each text frame it receives, whole. */
    private static final class Client implements WebSocket.Listener {
        final List<String> frames = new CopyOnWriteArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        volatile WebSocket socket;

        void send(String text) {
            socket.sendText(text, true).join();
        }

        @Override
        public CompletionStage<?> onText(WebSocket webSocket, CharSequence data, boolean last) {
            partial.append(data);
            if (last) {
                frames.add(partial.toString());
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }
    }
}
