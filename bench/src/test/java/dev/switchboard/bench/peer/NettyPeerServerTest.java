package dev.switchboard.bench.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
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
        assertThat(alice.frames).hasSize(1);
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
        assertThat(bystander.frames).hasSize(1);
    }

    @Test
    void malformedJsonAndUnknownTypes_areIgnored_andTheConnectionStillAnswersPings() {
        Client alice = connect("alice");
        awaitWelcome(alice);

        alice.send("{not json");
        alice.send("{\"type\":\"dance\"}");
        alice.send("{\"type\":\"ping\"}");

        await().atMost(Duration.ofSeconds(10)).until(() -> alice.frames.size() == 2);
        assertThat(alice.frames.get(1)).isEqualTo("{\"type\":\"pong\"}");
    }

    @Test
    void aClosedSubscriber_isDroppedFromItsTopic() {
        Client publisher = connect("p");
        Client leaver = connect("l");
        awaitWelcome(publisher, leaver);
        publisher.send("{\"type\":\"subscribe\",\"topic\":\"t\"}");
        leaver.send("{\"type\":\"subscribe\",\"topic\":\"t\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.frames.size() == 2 && leaver.frames.size() == 2);

        leaver.socket.sendClose(WebSocket.NORMAL_CLOSURE, "bye").join();
        await().atMost(Duration.ofSeconds(10)).until(() -> leaver.closed);
        publisher.send("{\"type\":\"publish\",\"topic\":\"t\",\"data\":1}");

        await().atMost(Duration.ofSeconds(10)).until(() -> publisher.frames.size() == 3);
        assertThat(leaver.frames).hasSize(2);
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
        volatile boolean closed;

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

        @Override
        public CompletionStage<?> onClose(WebSocket webSocket, int statusCode, String reason) {
            closed = true;
            return null;
        }
    }
}
