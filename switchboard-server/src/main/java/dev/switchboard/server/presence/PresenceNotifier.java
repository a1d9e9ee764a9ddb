package dev.switchboard.server.presence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.MessageType;
import dev.switchboard.server.chat.OutboundMessages;
import dev.switchboard.server.chat.Router;
import dev.switchboard.server.cluster.Routes;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.MessageStore;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Presence events (R7, optional): when a user's first connection anywhere opens, or its last one
 * anywhere closes, the users who share a group or a 1:1 conversation with it get
 * {@code {"type":"presence","user":…,"online":…}}. Best effort, like presence itself: a change seen by
 * two nodes at once may be announced twice, and clients treat the event as a hint and can always
 * ask with {@code presence.query}.
 */
public final class PresenceNotifier {
    private static final Logger log = LoggerFactory.getLogger(PresenceNotifier.class);

    private final boolean enabled;
    private final int maxInterestedUsers;
    private final ConnectionRegistry registry;
    private final Routes routes;
    private final MessageStore store;
    private final Router router;

    public PresenceNotifier(boolean enabled, int maxInterestedUsers, ConnectionRegistry registry, Routes routes,
                            MessageStore store, Router router) {
        this.enabled = enabled;
        this.maxInterestedUsers = maxInterestedUsers;
        this.registry = registry;
        this.routes = routes;
        this.store = store;
        this.router = router;
    }

    /** The user's first connection on this node opened. */
    public void firstConnectionOpened(String userId) {
        if (enabled) {
            announce(userId, true);
        }
    }

    /** The user's last connection on this node closed. */
    public void lastConnectionClosed(String userId) {
        if (enabled) {
            announce(userId, false);
        }
    }

    private void announce(String userId, boolean online) {
        routes.remoteNodesOf(List.of(userId))
                .thenCompose(remote -> {
                    // Another node holds the user: no change cluster-wide. Nor if this node's state moved on meanwhile.
                    boolean here = !registry.connectionsOf(userId).isEmpty();
                    if (!remote.isEmpty() || here != online) {
                        return CompletableFuture.completedFuture(List.<String>of());
                    }
                    return store.contactsOf(userId, maxInterestedUsers);
                })
                .whenComplete((contacts, error) -> {
                    if (error != null) {
                        log.atDebug().setMessage("presence event not sent").addKeyValue("userId", userId)
                                .addKeyValue("error", error.toString()).log();
                    } else if (!contacts.isEmpty()) {
                        router.dispatchEphemeral(contacts, frame(userId, online));
                    }
                });
    }

    static byte[] frame(String userId, boolean online) {
        ObjectNode event = OutboundMessages.JSON.createObjectNode();
        event.put("type", MessageType.PRESENCE.wireName());
        event.put("user", userId);
        event.put("online", online);
        try {
            return OutboundMessages.JSON.writeValueAsBytes(event);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
