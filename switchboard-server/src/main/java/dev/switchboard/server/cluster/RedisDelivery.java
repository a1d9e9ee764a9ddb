package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
 * multiply a large group's envelope by the number of nodes, hence the limit.
 */
final class RedisDelivery implements RemoteDelivery {
    private static final Logger log = LoggerFactory.getLogger(RedisDelivery.class);
    /** Recipients up to which the script is used. */
    static final int MAX_SCRIPT_RECIPIENTS = 8;

    /**
     * KEYS: the recipients' route hashes. ARGV: now (ms since the epoch), this node's id, the node
     * channel prefix, the envelope. Publishes the envelope once to every other node with an unexpired
     * route of any recipient; returns how many nodes that was.
     */
    private static final String DELIVER_SCRIPT = """
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
            """;

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final String nodeId;
    private final RoutedDelivery routed;

    RedisDelivery(RedisConnections redis, RedisKeys keys, String nodeId, RoutedDelivery routed) {
        this.redis = redis;
        this.keys = keys;
        this.nodeId = nodeId;
        this.routed = routed;
    }

    @Override
    public void deliver(List<Recipient> recipients, byte[] payload, long committedAtMillis) {
        if (recipients.size() > MAX_SCRIPT_RECIPIENTS) {
            routed.deliver(recipients, payload, committedAtMillis);
            return;
        }
        String[] routeKeys = new String[recipients.size()];
        for (int i = 0; i < routeKeys.length; i++) {
            routeKeys[i] = keys.routes(recipients.get(i).userId());
        }
        byte[] envelope = EnvelopeCodec.encode(new Envelope(recipients, payload, committedAtMillis));
        redis.timed(redis.commands().async().<Long>eval(DELIVER_SCRIPT, ScriptOutputType.INTEGER, routeKeys,
                        utf8(Long.toString(System.currentTimeMillis())), utf8(nodeId), utf8(keys.nodeChannel("")), envelope))
                .whenComplete((nodes, error) -> {
                    if (error != null) {
                        log.atWarn().setMessage("remote delivery failed; remote recipients catch up from the store")
                                .addKeyValue("error", error.toString()).log();
                    }
                });
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
