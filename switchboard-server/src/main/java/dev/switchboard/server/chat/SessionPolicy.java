package dev.switchboard.server.chat;

import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;

/**
 * What every session of a node shares, built once from the configuration: the send and request rate
 * limits, the per-user send limit and the abuse thresholds that turn a stream of refusals into a close.
 *
 * @param sends              sends and topic publications, per connection
 * @param userSends          sends and topic publications per user, all of the user's connections on this
 *                           node together (off when {@code limits.userSendsPerSecond} is 0)
 * @param requests           group, presence and topic requests (each costs store or Redis work)
 * @param maxInvalidRequests client-fault errors per minute before close 4000
 * @param maxRateLimited     rate-limit refusals per minute before close 4029
 * @param metrics            where refusals are counted, by the limit that refused
 */
public record SessionPolicy(RateLimit sends, KeyedRateLimiter userSends, RateLimit requests, int maxInvalidRequests,
                            int maxRateLimited, ServerMetrics metrics) {
    public static SessionPolicy of(ServerConfig.Limits limits, ServerMetrics metrics) {
        return new SessionPolicy(new RateLimit(limits.sendsPerSecond(), limits.sendBurst()),
                KeyedRateLimiter.of(limits.userSendsPerSecond(), limits.userSendBurst()),
                new RateLimit(limits.requestsPerSecond(), limits.requestBurst()),
                limits.maxInvalidRequests(), 2 * limits.sendBurst(), metrics);
    }
}
