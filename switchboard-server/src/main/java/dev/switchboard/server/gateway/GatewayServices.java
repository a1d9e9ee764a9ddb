package dev.switchboard.server.gateway;

import dev.switchboard.server.auth.HandshakeAuthenticator;
import dev.switchboard.server.auth.OriginPolicy;
import dev.switchboard.server.chat.CommandDispatcher;
import dev.switchboard.server.chat.KeyedRateLimiter;
import dev.switchboard.server.chat.SessionPolicy;
import dev.switchboard.server.cluster.Cluster;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.moderation.Moderation;
import dev.switchboard.server.presence.PresenceNotifier;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.FileStore;
import dev.switchboard.server.store.MessageStore;
import dev.switchboard.server.webhook.Webhooks;

/**
 * Everything the pipeline's handlers share, built once by the server.
 *
 * @param admission        the node's connection cap and draining flag
 * @param clientAddress    who the client is behind a trusted balancer, for the per-address limits
 * @param connectionLimits connections per client address and per user
 * @param handshakeRate    handshakes per second per client address (file downloads count too)
 * @param downloads        the file downloads this node serves at once
 */
public record GatewayServices(
        ServerConfig config,
        HandshakeAuthenticator authenticator,
        OriginPolicy originPolicy,
        ConnectionRegistry registry,
        CommandDispatcher dispatcher,
        MessageStore store,
        FileStore files,
        Admission admission,
        ClientAddress clientAddress,
        ConnectionLimits connectionLimits,
        KeyedRateLimiter handshakeRate,
        Cluster cluster,
        ServerMetrics metrics,
        Moderation moderation,
        PresenceNotifier presenceNotifier,
        SessionPolicy sessionPolicy,
        Webhooks webhooks,
        KeepAlive keepAlive,
        DownloadSlots downloads) {
}
