package dev.switchboard.server.chat;

import dev.switchboard.server.config.ServerConfig;

/**
 * What every session of a node shares, built once from the configuration: the send and request rate
 * limits and the abuse thresholds that turn a stream of refusals into a close.
 *
 * @param sends              sends and topic publications
 * @param requests           group, presence and topic requests (each costs store or Redis work)
 * @param maxInvalidRequests client-fault errors per minute before close 4000
 * @param maxRateLimited     rate-limit refusals per minute before close 4029
 */
public record SessionPolicy(RateLimit sends, RateLimit requests, int maxInvalidRequests, int maxRateLimited) {
    public static SessionPolicy of(ServerConfig.Limits limits) {
        return new SessionPolicy(new RateLimit(limits.sendsPerSecond(), limits.sendBurst()),
                new RateLimit(limits.requestsPerSecond(), limits.requestBurst()),
                limits.maxInvalidRequests(), 2 * limits.sendBurst());
    }
}
