package dev.switchboard.server.cluster;

import dev.switchboard.server.topic.Publication;
import dev.switchboard.server.topic.PublishResult;
import dev.switchboard.server.topic.StreamPosition;
import dev.switchboard.server.topic.TopicEngine;
import dev.switchboard.server.topic.TopicHistory;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link TopicEngine} on Redis: each topic's stream (epoch, offset, bounded history, idempotency
 * keys) lives in Redis, and a publication is one Lua script that numbers it, keeps it and PUBLISHes
 * it on the topic's channel, atomically — so offsets are gap-free and in the order every node
 * receives them. A node subscribes to a topic's channel only while it has local subscribers: a
 * publication costs one PUBLISH, which Redis hands to each subscribed node once (never once per
 * subscriber). On a Redis Cluster the script runs on the master of the topic's slot and publishes with
 * {@code SPUBLISH} on the topic's shard channel, which that master serves ({@link RedisKeys#topicChannel}).
 *
 * <p>Wire form of a publication on the channel and in the history list:
 * {@code offset \n epoch \n from \n dataJson} ({@code from} empty for the server API); JSON written
 * by Jackson never contains a raw newline.
 */
public final class RedisTopicEngine implements TopicEngine {
    private static final Logger log = LoggerFactory.getLogger(RedisTopicEngine.class);

    /**
     * KEYS: meta, history, idempotency. ARGV: channel, new epoch, history size, ttl ms, body, has-key, the
     * publish command ({@code spublish} on a Redis Cluster, where the channel shares the keys' slot).
     *
     * <p>Sent whole ({@code EVAL}) on every call, unlike the other scripts ({@link RedisScript}): a
     * publisher's publications must be numbered in the order it sent them, and Redis runs one
     * connection's commands in order. By SHA, a call that Redis answers {@code NOSCRIPT} (just after a
     * restart) would run after calls sent behind it once another node has loaded the script again.
     */
    private static final String PUBLISH_SCRIPT = """
            if ARGV[6] == '1' then
              local previous = redis.call('get', KEYS[3])
              if previous then return {previous, 1} end
            end
            local epoch = redis.call('hget', KEYS[1], 'e')
            if not epoch then
              epoch = ARGV[2]
              redis.call('hset', KEYS[1], 'e', epoch)
            end
            local offset = redis.call('hincrby', KEYS[1], 'o', 1)
            redis.call('pexpire', KEYS[1], ARGV[4])
            local message = offset .. '\\n' .. epoch .. '\\n' .. ARGV[5]
            local size = tonumber(ARGV[3])
            if size > 0 then
              redis.call('rpush', KEYS[2], message)
              redis.call('ltrim', KEYS[2], -size, -1)
              redis.call('pexpire', KEYS[2], ARGV[4])
            end
            redis.call(ARGV[7], ARGV[1], message)
            local position = epoch .. '\\n' .. offset
            if ARGV[6] == '1' then redis.call('set', KEYS[3], position, 'PX', ARGV[4]) end
            return {position, 0}
            """;

    /** KEYS: meta, history. ARGV: new epoch, ttl ms, with-publications. Creates the epoch of a new topic. */
    private static final RedisScript HISTORY_SCRIPT = new RedisScript("""
            local epoch = redis.call('hget', KEYS[1], 'e')
            if not epoch then
              epoch = ARGV[1]
              redis.call('hset', KEYS[1], 'e', epoch, 'o', 0)
              redis.call('pexpire', KEYS[1], ARGV[2])
            end
            local offset = redis.call('hget', KEYS[1], 'o') or '0'
            local entries = {}
            if ARGV[3] == '1' then entries = redis.call('lrange', KEYS[2], 0, -1) end
            return {epoch, offset, entries}
            """);

    private final RedisConnections redis;
    private final RedisKeys keys;
    private final long ttlMillis;
    private volatile Consumer<Publication> handler = publication -> { };

    RedisTopicEngine(RedisConnections redis, RedisKeys keys, long ttlMillis) {
        this.redis = redis;
        this.keys = keys;
        this.ttlMillis = ttlMillis;
    }

    @Override
    public void start(Consumer<Publication> handler) {
        this.handler = handler;
        redis.subscriptions().addListener((channel, message) -> {
            String topic = keys.topicOfChannel(channel);
            if (topic == null) {
                return;
            }
            Publication publication = decode(topic, new String(message, StandardCharsets.UTF_8));
            if (publication == null) {
                log.atWarn().setMessage("dropping malformed publication").addKeyValue("channel", channel).log();
                return;
            }
            RedisTopicEngine.this.handler.accept(publication);
        });
    }

    @Override
    public CompletableFuture<PublishResult> publish(String topic, String from, String dataJson, int historySize,
                                                    String idempotencyKey) {
        String idempotency = keys.topicIdempotency(topic, idempotencyKey == null ? "" : idempotencyKey);
        String body = (from == null ? "" : from) + "\n" + dataJson;
        return redis.timed(redis.async().<List<Object>>eval(PUBLISH_SCRIPT, ScriptOutputType.MULTI,
                        new String[] {keys.topicMeta(topic), keys.topicHistory(topic), idempotency},
                        bytes(keys.topicChannel(topic)), bytes(newEpoch()), bytes(Integer.toString(historySize)),
                        bytes(Long.toString(ttlMillis)), bytes(body), bytes(idempotencyKey == null ? "0" : "1"),
                        bytes(redis.isCluster() ? "spublish" : "publish")))
                .thenApply(reply -> {
                    String[] position = text(reply.get(0)).split("\n", 2);
                    boolean duplicate = ((Number) reply.get(1)).longValue() == 1;
                    return new PublishResult(new StreamPosition(position[0], Long.parseLong(position[1])), duplicate);
                });
    }

    @Override
    public CompletableFuture<Void> subscribe(String topic) {
        return redis.subscriptions().subscribe(keys.topicChannel(topic));
    }

    @Override
    public void unsubscribe(String topic) {
        redis.subscriptions().unsubscribe(keys.topicChannel(topic));
    }

    @Override
    public CompletableFuture<TopicHistory> history(String topic, boolean withPublications) {
        return HISTORY_SCRIPT.<List<Object>>run(redis, ScriptOutputType.MULTI,
                        new String[] {keys.topicMeta(topic), keys.topicHistory(topic)},
                        bytes(newEpoch()), bytes(Long.toString(ttlMillis)), bytes(withPublications ? "1" : "0"))
                .thenApply(reply -> {
                    String epoch = text(reply.get(0));
                    long offset = Long.parseLong(text(reply.get(1)));
                    List<Publication> retained = new ArrayList<>();
                    for (Object entry : (List<?>) reply.get(2)) {
                        Publication publication = decode(topic, text(entry));
                        if (publication != null && publication.epoch().equals(epoch)) {
                            retained.add(publication);
                        }
                    }
                    return new TopicHistory(new StreamPosition(epoch, offset), retained);
                });
    }

    /** Pipelined PEXPIREs: a subscribed topic's epoch must outlive quiet periods longer than the TTL. */
    @Override
    public void keepAlive(java.util.Collection<String> topics) {
        for (String topic : topics) {
            redis.timed(redis.async().pexpire(keys.topicMeta(topic), ttlMillis));
            redis.timed(redis.async().pexpire(keys.topicHistory(topic), ttlMillis));
        }
    }

    /** {@code offset \n epoch \n from \n data}, or null when malformed. */
    static Publication decode(String topic, String message) {
        String[] parts = message.split("\n", 4);
        if (parts.length != 4) {
            return null;
        }
        try {
            return Publication.of(topic, parts[1], Long.parseLong(parts[0]), parts[2].isEmpty() ? null : parts[2], parts[3]);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String newEpoch() {
        return UUID.randomUUID().toString().substring(0, 8);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(Object value) {
        return value instanceof byte[] bytes ? new String(bytes, StandardCharsets.UTF_8) : String.valueOf(value);
    }

    @Override
    public void close() {
    }
}
