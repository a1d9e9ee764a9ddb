package dev.switchboard.server.topic;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@link TopicEngine} of a single node: each topic's stream (epoch, offset, bounded history,
 * recent idempotency keys) in memory. A restart starts every topic in a new epoch, which clients
 * are told as {@code epoch_changed}.
 *
 * @implNote A publication is numbered and handed to the handler while holding its topic's lock, so
 * concurrent publishers on one topic reach the event loops in offset order; the handler only
 * enqueues work, so the lock is held for microseconds. Streams idle for longer than the TTL are
 * dropped by {@link #expireIdle}, which bounds memory by the number of recently active topics.
 */
public final class MemoryTopicEngine implements TopicEngine {
    private static final int IDEMPOTENCY_KEYS_PER_TOPIC = 1024;

    private final long ttlMillis;
    private final ConcurrentHashMap<String, Stream> streams = new ConcurrentHashMap<>();
    private volatile Consumer<Publication> handler = publication -> { };

    public MemoryTopicEngine(long ttlMillis) {
        this.ttlMillis = ttlMillis;
    }

    private static final class Stream {
        final String epoch = UUID.randomUUID().toString().substring(0, 8);
        final ArrayDeque<Publication> history = new ArrayDeque<>();
        final Map<String, Long> idempotencyKeys = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Long> eldest) {
                return size() > IDEMPOTENCY_KEYS_PER_TOPIC;
            }
        };
        long offset;
        boolean removed;
        long lastActiveMillis = System.currentTimeMillis();
    }

    @Override
    public void start(Consumer<Publication> handler) {
        this.handler = handler;
    }

    @Override
    public CompletableFuture<PublishResult> publish(String topic, String from, String dataJson, int historySize,
                                                    String idempotencyKey) {
        Stream stream = streams.computeIfAbsent(topic, name -> new Stream());
        synchronized (stream) {
            if (stream.removed) { // expired between lookup and lock: use the topic's new stream
                return publish(topic, from, dataJson, historySize, idempotencyKey);
            }
            stream.lastActiveMillis = System.currentTimeMillis();
            if (idempotencyKey != null) {
                Long previous = stream.idempotencyKeys.get(idempotencyKey);
                if (previous != null) {
                    return CompletableFuture.completedFuture(new PublishResult(new StreamPosition(stream.epoch, previous), true));
                }
            }
            Publication publication = Publication.of(topic, stream.epoch, ++stream.offset, from, dataJson);
            if (idempotencyKey != null) {
                stream.idempotencyKeys.put(idempotencyKey, publication.offset());
            }
            if (historySize > 0) {
                stream.history.addLast(publication);
            }
            while (stream.history.size() > historySize) {
                stream.history.removeFirst();
            }
            handler.accept(publication);
            return CompletableFuture.completedFuture(new PublishResult(publication.position(), false));
        }
    }

    @Override
    public CompletableFuture<Void> subscribe(String topic) {
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public void unsubscribe(String topic) {
    }

    @Override
    public CompletableFuture<TopicHistory> history(String topic, boolean withPublications) {
        Stream stream = streams.computeIfAbsent(topic, name -> new Stream());
        synchronized (stream) {
            if (stream.removed) {
                return history(topic, withPublications);
            }
            stream.lastActiveMillis = System.currentTimeMillis();
            List<Publication> retained = withPublications ? new ArrayList<>(stream.history) : List.of();
            return CompletableFuture.completedFuture(new TopicHistory(new StreamPosition(stream.epoch, stream.offset), retained));
        }
    }

    /**
     * Drops streams without activity for the TTL, unless {@code inUse} says this node still has
     * subscribers (their position must stay valid). Called periodically by the server.
     */
    public void expireIdle(java.util.function.Predicate<String> inUse) {
        long cutoff = System.currentTimeMillis() - ttlMillis;
        streams.forEach((topic, stream) -> {
            synchronized (stream) {
                if (stream.lastActiveMillis < cutoff && !inUse.test(topic)) {
                    stream.removed = true;
                    streams.remove(topic, stream);
                }
            }
        });
    }

    /** Topics with a live stream (for tests and metrics). */
    public int streamCount() {
        return streams.size();
    }

    @Override
    public void close() {
        streams.clear();
    }
}
