package dev.switchboard.server.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;

/** Steps the cluster failure tests share, over raw WebSockets: a resumed connection, a 1:1 send, readiness. */
public final class ChatSteps {
    private ChatSteps() {
    }

    /** A connection of {@code user} (device "phone", development mode) that has resumed and is live; owned by {@code resources}. */
    public static RawWebSocket resumed(TestResources resources, TestServer node, String user) throws Exception {
        RawWebSocket socket = resources.add(RawWebSocket.connect(node.port(), "/ws?user=" + user + "&device=phone"));
        assertThat(socket.handshake().status()).isEqualTo(101);
        socket.receiveType("welcome");
        socket.sendJson("{\"type\":\"resume\"}");
        socket.receiveType("synced");
        return socket;
    }

    /** Sends a 1:1 message with {@code clientId} as its ref and waits for its {@code sent}. */
    public static void send(RawWebSocket from, String to, String body, String clientId) throws Exception {
        from.sendJson("{\"type\":\"send\",\"ref\":\"" + clientId + "\",\"clientId\":\"" + clientId
                + "\",\"to\":{\"kind\":\"user\",\"id\":\"" + to + "\"},\"body\":\"" + body + "\"}");
        assertThat(from.receiveType("sent").get("ref").asText()).isEqualTo(clientId);
    }

    /** Whether {@code /health/ready} answers 200 (false when it cannot be reached). */
    public static boolean isReady(TestServer node) {
        try {
            return RawWebSocket.httpGet(node.port(), "/health/ready").status() == 200;
        } catch (IOException e) {
            return false;
        }
    }
}
