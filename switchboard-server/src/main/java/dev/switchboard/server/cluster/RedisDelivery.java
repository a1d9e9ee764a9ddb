package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link RemoteDelivery} over Redis: for a message with few recipients (1:1 chat, the bulk of the
 * traffic) one script reads the recipients' routes and publishes the envelope to each other node
 * they are on; larger recipient lists (groups) go through {@link RoutedDelivery}, one envelope per
 * node with only that node's recipients.
 *
 * @implNote Measured on the cluster throughput benchmark (docs/BENCHMARKS.md): looking up the routes
 * and then publishing took three Redis commands per 1:1 message (two {@code HGETALL}, one
 * {@code PUBLISH}), each written and flushed on its own by the Redis client's single I/O thread,
 * which became the busiest thread of the sending node. The script makes it one command. It sends
 * every node the entries of all recipients, not just its own: the receiving node delivers to the
 * ones connected to it and skips the rest, which costs nothing for a few recipients but would
 * multiply a large group's envelope by the number of nodes, hence the limit. The script reads
 * several users' keys, so it needs them on one Redis (standalone or Sentinel's master). A Redis
 * Cluster spreads users' keys over its slots, and a script may touch one slot only: there every
 * message takes the routed path, whose lookups Lettuce sends to each key's master.
 */
final class RedisDelivery implements RemoteDelivery {
    private static final Logger log = LoggerFactory.getLogger(RedisDelivery.class);
    /** Recipients up to which the script is used. */
    static final int MAX_SCRIPT_RECIPIENTS = 8;
    /** Errors from Redis in a row after which the script is no longer tried. */
    private static final int MAX_SCRIPT_FAILURES = 3;

    /**
     * KEYS: the recipients' route hashes. ARGV: now (ms since the epoch), this node's id, the node
     * channel prefix, the envelope. Publishes the envelope once to every other node with an unexpired
     * route of any recipient; returns how many nodes that was.
     */
    private static final RedisScript DELIVER_SCRIPT = new RedisScript("""
            local now = tonumber(ARGV[1])
            local sent = {}
            local count = 0
            for _, key in ipairs(KEYS) do
              local fields = redis.call('HGETALL', key)
              for i = 1, #fields, 2 do
                local node = fields[i]
                if node ~= ARGV[2] and not sent[node] and (tonumber(fields[i + 1]) or 0) > now then
                  sent[node] = true
                  count = count + 1
                  redis.call('PUBLISH', ARGV[3] .. node, ARGV[4])
                end
              end
            end
            return count
            """);

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final String nodeId;
    private final RoutedDelivery routed;
    /** Routed deliveries whose publishes are not handed to Redis yet; while any are, small ones queue behind them. */
    private final AtomicInteger routedInFlight = new AtomicInteger();
    private final AtomicInteger scriptFailuresInARow = new AtomicInteger();
    private volatile boolean scriptDisabled;

    RedisDelivery(RedisConnections redis, RedisKeys keys, String nodeId, RoutedDelivery routed) {
        this.redis = redis;
        this.keys = keys;
        this.nodeId = nodeId;
        this.routed = routed;
        this.scriptDisabled = redis.isCluster();
    }

    /**
     * @implNote Order: a routed delivery publishes one round trip after its lookup, the script at
     * once, so a small message could overtake a group message committed before it and make the
     * receiving connections fetch the gap from the store. While a routed delivery has not handed its
     * publishes to Redis yet, small messages take the routed path too: commands on the one Redis
     * connection are answered in order, so their publishes follow.
     */
    @Override
    public void deliver(List<Recipient> recipients, byte[] payload, long committedAtMillis) {
        if (recipients.isEmpty()) {
            return;
        }
        if (scriptDisabled || recipients.size() > MAX_SCRIPT_RECIPIENTS || routedInFlight.get() > 0) {
            deliverRouted(recipients, payload, committedAtMillis);
            return;
        }
        String[] routeKeys = new String[recipients.size()];
        for (int i = 0; i < routeKeys.length; i++) {
            routeKeys[i] = keys.routes(recipients.get(i).userId());
        }
        byte[] envelope = EnvelopeCodec.encode(new Envelope(recipients, payload, committedAtMillis));
        DELIVER_SCRIPT.<Long>run(redis, ScriptOutputType.INTEGER, routeKeys,
                        utf8(Long.toString(System.currentTimeMillis())), utf8(nodeId), utf8(keys.nodeChannelPrefix()),
                        envelope)
                .whenComplete((nodes, error) -> {
                    if (error == null) {
                        scriptFailuresInARow.set(0);
                    } else if (isRefusedByRedis(error)) {
                        onScriptRefused(error);
                        deliverRouted(recipients, payload, committedAtMillis);
                    } else {
                        log.atWarn().setMessage("remote delivery failed; remote recipients catch up from the store")
                                .addKeyValue("error", error.toString()).log();
                    }
                });
    }

    private void deliverRouted(List<Recipient> recipients, byte[] payload, long committedAtMillis) {
        routedInFlight.incrementAndGet();
        routed.lookUpAndPublish(recipients, payload, committedAtMillis)
                .whenComplete((ignored, error) -> routedInFlight.decrementAndGet());
    }

    /**
     * Redis answered the script with an error (scripting not allowed for this user, a proxy that
     * spreads keys over shards, a server without Lua): that message goes the routed way, and after a
     * few such answers in a row every message does, for good.
     */
    private void onScriptRefused(Throwable error) {
        if (scriptFailuresInARow.incrementAndGet() >= MAX_SCRIPT_FAILURES && !scriptDisabled) {
            scriptDisabled = true;
            log.atWarn().setMessage("redis refuses the delivery script; delivering by route lookup from now on")
                    .addKeyValue("error", error.toString()).log();
        }
    }

    private static boolean isRefusedByRedis(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        return cause instanceof RedisCommandExecutionException;
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
