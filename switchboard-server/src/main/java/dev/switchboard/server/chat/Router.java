package dev.switchboard.server.chat;

import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.AppendResult;
import dev.switchboard.server.store.Recipient;

/**
 * Hands stored inbox entries to the connections that should see them now. Single-node: every
 * recipient is looked up in this node's registry; users who are not connected get nothing now and
 * everything on their next resume. Delivery here is best effort by design — the store already holds
 * every entry, and {@link InboxStream} closes any gap from it.
 *
 * @implNote Called on the store's writer thread right after commit, in commit order. Doing the
 * dispatch there (a few hash lookups and one task hand-off per recipient connection) keeps entries
 * for one connection arriving at its event loop in seq order, so the common case never needs a
 * store read; the message is encoded once here and the bytes shared by every recipient.
 */
public final class Router {
    private final ConnectionRegistry registry;

    public Router(ConnectionRegistry registry) {
        this.registry = registry;
    }

    /** Delivers a new (non-duplicate) message to every live connection of every recipient. */
    public void dispatch(AppendResult result) {
        if (result.duplicate() || result.recipients().isEmpty()) {
            return;
        }
        byte[] payload = OutboundMessages.messagePayload(result.message());
        for (Recipient recipient : result.recipients()) {
            for (Connection connection : registry.connectionsOf(recipient.userId())) {
                connection.deliverLive(recipient.seq(), payload);
            }
        }
    }
}
