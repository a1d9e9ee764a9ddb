package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RemoteDelivery} through any {@link Routes} and {@link Broker}: looks up the nodes of the
 * recipients, then publishes one envelope per node holding only that node's recipients — never one
 * publish per recipient, and a node is sent only the entries of its own users.
 */
public final class RoutedDelivery implements RemoteDelivery {
    private static final Logger log = LoggerFactory.getLogger(RoutedDelivery.class);

    private final Routes routes;
    private final Broker broker;

    public RoutedDelivery(Routes routes, Broker broker) {
        this.routes = routes;
        this.broker = broker;
    }

    @Override
    public void deliver(List<Recipient> recipients, byte[] payload, long committedAtMillis) {
        lookUpAndPublish(recipients, payload, committedAtMillis);
    }

    /** Delivers; completes once the publishes are handed to the broker (or the lookup failed). */
    CompletableFuture<Void> lookUpAndPublish(List<Recipient> recipients, byte[] payload, long committedAtMillis) {
        Map<String, Long> seqs = new HashMap<>();
        recipients.forEach(recipient -> seqs.put(recipient.userId(), recipient.seq()));
        return routes.remoteNodesOf(seqs.keySet()).handle((byNode, error) -> {
            if (error != null) {
                log.atWarn().setMessage("route lookup failed; remote recipients catch up from the store")
                        .addKeyValue("error", error.toString()).log();
                return null;
            }
            byNode.forEach((nodeId, users) -> {
                List<Recipient> onNode = new ArrayList<>(users.size());
                users.forEach(userId -> onNode.add(new Recipient(userId, seqs.get(userId))));
                broker.publish(nodeId, new Envelope(onNode, payload, committedAtMillis));
            });
            return null;
        });
    }
}
