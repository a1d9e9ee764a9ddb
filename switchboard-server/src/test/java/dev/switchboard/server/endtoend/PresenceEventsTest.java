package dev.switchboard.server.endtoend;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.server.testing.RawWebSocket;
import dev.switchboard.server.testing.TestServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Presence events (R7): users who share a group or a 1:1 conversation hear about each other's online changes. */
class PresenceEventsTest {
    @TempDir
    Path dataDirectory;
    private final List<AutoCloseable> resources = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = resources.size() - 1; i >= 0; i--) {
            resources.get(i).close();
        }
    }

    private RawWebSocket socket(TestServer server, String user, String device) throws IOException {
        RawWebSocket socket = RawWebSocket.connect(server.port(), "/ws?user=" + user + "&device=" + device);
        resources.add(socket);
        socket.receiveType("welcome");
        return socket;
    }

    /** The next message is the pong to this ping: nothing (no presence event) was queued before it. */
    private static void assertNothingPending(RawWebSocket socket) throws IOException {
        socket.sendText("{\"type\":\"ping\",\"ref\":\"probe\"}");
        assertThat(socket.receiveJson().get("type").asText()).isEqualTo("pong");
    }

    @Test
    void groupMembersAndConversationPartners_getOnlineAndOfflineEvents_othersDoNot() throws Exception {
        TestServer server = TestServer.start(dataDirectory, Map.of("presence.events", true));
        resources.add(server);
        RawWebSocket alice = socket(server, "alice", "d");
        RawWebSocket dave = socket(server, "dave", "d");
        RawWebSocket stranger = socket(server, "stranger", "d");
        alice.sendText("{\"type\":\"group.create\",\"ref\":\"g\",\"groupId\":\"team\",\"members\":[\"bob\"]}");
        alice.receiveType("result");
        dave.sendText("{\"type\":\"send\",\"ref\":\"m\",\"clientId\":\"c1\",\"to\":{\"kind\":\"user\",\"id\":\"bob\"},\"body\":\"hi\"}");
        dave.receiveType("sent");

        RawWebSocket bob = socket(server, "bob", "phone");

        for (RawWebSocket contact : List.of(alice, dave)) {
            JsonNode online = contact.receiveType("presence");
            assertThat(online.get("user").asText()).isEqualTo("bob");
            assertThat(online.get("online").asBoolean()).isTrue();
        }
        assertNothingPending(stranger);

        RawWebSocket bobLaptop = socket(server, "bob", "laptop"); // a second device: no change, no event
        assertNothingPending(alice);
        bobLaptop.close();
        bob.close();

        JsonNode offline = alice.receiveType("presence");
        assertThat(offline.get("user").asText()).isEqualTo("bob");
        assertThat(offline.get("online").asBoolean()).isFalse();
        assertThat(dave.receiveType("presence").get("online").asBoolean()).isFalse();
        assertNothingPending(stranger);
    }

    @Test
    void noEvents_whenPresenceEventsAreOff() throws Exception {
        TestServer server = TestServer.start(dataDirectory, Map.of());
        resources.add(server);
        RawWebSocket alice = socket(server, "alice", "d");
        alice.sendText("{\"type\":\"group.create\",\"ref\":\"g\",\"groupId\":\"team\",\"members\":[\"bob\"]}");
        alice.receiveType("result");

        socket(server, "bob", "d").close();

        assertNothingPending(alice);
    }
}
