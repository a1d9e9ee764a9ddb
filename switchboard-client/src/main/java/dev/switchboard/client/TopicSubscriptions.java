package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The client's topic subscriptions (docs/PROTOCOL.md, "Topics"): which topics it wants, the position it
 * has reached in each, and the {@code subscribe} requests that keep the server in step with that.
 *
 * <ul>
 *   <li>Subscriptions outlive connections. After every {@code welcome} each topic is subscribed again,
 *       with {@code recover: {epoch, offset}} once a position is known, so the server replays what came
 *       after it.</li>
 *   <li>Publications reach the listener once and in offset order per topic: one at or below the position
 *       (same epoch) is a duplicate and dropped. One past {@code offset + 1}, or of another epoch, means
 *       some were lost: the topic is re-synced ({@code unsubscribe}, then {@code subscribe} with
 *       {@code recover}; the protocol does not say what a second {@code subscribe} on a subscribed topic
 *       does, so the client never sends one).</li>
 *   <li>While a {@code subscribe} is outstanding the topic's publications are dropped: the server sends
 *       the replay, in order, right after the reply, and publications that arrive before the reply are
 *       from before the position the reply sets. {@code recovered: false} is reported to the listener
 *       ({@link ClientListener#onRecoveryFailed}) and delivery continues from the server's position.</li>
 *   <li>A {@code subscribe} refused with a retryable error (e.g. {@code rate_limited}, likely when many
 *       topics are subscribed again at once after a reconnect) is sent again after a backoff delay; any
 *       other refusal ends the subscription.</li>
 * </ul>
 *
 * <p>Not thread-safe except {@link #position} and {@link #topics}: confined to the client's event loop,
 * where reply futures complete, so a {@code subscribe} reply is applied before the replay after it is
 * read. Memory: one small entry per topic; publications are never buffered.
 */
final class TopicSubscriptions {
    private static final Logger log = LoggerFactory.getLogger(TopicSubscriptions.class);
    private static final int MAX_RETRY_EXPONENT = 30;

    /** Where a publication stands relative to a position. */
    enum Order {
        /** {@code offset == position.offset + 1} in the same epoch: deliver it. */
        NEXT,
        /** At or below the position in the same epoch: seen already, drop it. */
        DUPLICATE,
        /** Past {@code offset + 1}, or of another epoch: publications were missed. */
        GAP
    }

    /** Written only on the event loop; a concurrent map so that {@link #position} may read it from anywhere. */
    private final Map<String, Subscription> byTopic = new ConcurrentHashMap<>();
    private final ClientListener listener;
    private final StatsCounters stats;
    private final OutboundMessages outbound;
    private final Backoff retryBackoff;
    private final ScheduledExecutorService scheduler;
    private long refCounter;
    private boolean connected;

    TopicSubscriptions(ClientListener listener, StatsCounters stats, OutboundMessages outbound, Backoff retryBackoff,
                       ScheduledExecutorService scheduler) {
        this.listener = listener;
        this.stats = stats;
        this.outbound = outbound;
        this.retryBackoff = retryBackoff;
        this.scheduler = scheduler;
    }

    static Order order(TopicPosition position, String epoch, long offset) {
        if (!position.epoch().equals(epoch)) {
            return Order.GAP;
        }
        if (offset <= position.offset()) {
            return Order.DUPLICATE;
        }
        return offset == position.offset() + 1 ? Order.NEXT : Order.GAP;
    }

    /**
     * Adds {@code topic} (sent now when connected, else after the next {@code welcome}) and completes
     * {@code future} with the data of its first successful {@code subscribe} reply. A topic already
     * subscribed is left as it is ({@code since} ignored) and {@code future} follows its first reply.
     *
     * @param since the position to recover from, or null to start at the server's newest
     */
    void subscribe(String topic, TopicPosition since, CompletableFuture<JsonNode> future) {
        Subscription subscription = byTopic.get(topic);
        if (subscription == null) {
            subscription = new Subscription(topic, since);
            byTopic.put(topic, subscription);
            listener.onSubscriptionStateChanged(topic, SubscriptionState.SUBSCRIBING, null);
            if (connected) {
                sendSubscribe(subscription);
            }
        }
        subscription.firstReply.whenComplete((data, error) -> {
            if (error == null) {
                future.complete(data);
            } else {
                future.completeExceptionally(error);
            }
        });
    }

    /**
     * Removes {@code topic}: its publications stop at once. Sends {@code unsubscribe} when connected
     * ({@code future} gets the reply) and otherwise completes {@code future} with {@code {topic}}. A
     * first {@code subscribe} still outstanding fails.
     */
    void unsubscribe(String topic, CompletableFuture<JsonNode> future) {
        Subscription subscription = byTopic.remove(topic);
        if (subscription != null) {
            subscription.endAttempt();
            subscription.state = SubscriptionState.UNSUBSCRIBED;
            subscription.firstReply.completeExceptionally(new SwitchboardException(
                    "unsubscribed from " + topic + " before the server confirmed the subscription"));
            listener.onSubscriptionStateChanged(topic, SubscriptionState.UNSUBSCRIBED, null);
        }
        if (connected) {
            String ref = nextRef();
            outbound.submitRequest(ref, Wire.unsubscribe(ref, topic), future);
        } else {
            future.complete(Wire.MAPPER.createObjectNode().put("topic", topic));
        }
    }

    /** A {@code welcome} arrived and requests can be sent: subscribe every topic again, recovering. */
    void onConnected() {
        connected = true;
        for (Subscription subscription : List.copyOf(byTopic.values())) {
            sendSubscribe(subscription);
        }
    }

    /** The connection ended: every topic waits for the next {@code welcome}. */
    void onDisconnected() {
        connected = false;
        for (Subscription subscription : byTopic.values()) {
            subscription.endAttempt();
            if (subscription.state == SubscriptionState.SUBSCRIBED) {
                changeState(subscription, SubscriptionState.SUBSCRIBING);
            }
        }
    }

    /** The client is closed: every subscription ends with {@code cause}. */
    void failAll(SwitchboardException cause) {
        connected = false;
        List<Subscription> all = new ArrayList<>(byTopic.values());
        byTopic.clear();
        for (Subscription subscription : all) {
            subscription.endAttempt();
            subscription.state = SubscriptionState.UNSUBSCRIBED;
            subscription.firstReply.completeExceptionally(cause);
            listener.onSubscriptionStateChanged(subscription.topic, SubscriptionState.UNSUBSCRIBED, cause);
        }
    }

    /** Applies one {@code publication} message. */
    void onPublication(Connection connection, JsonNode node) {
        Publication publication = Wire.publication(node);
        if (publication == null) {
            log.warn("{}: ignoring a malformed publication: {}", connection, node);
            return;
        }
        Subscription subscription = byTopic.get(publication.topic());
        if (subscription == null || subscription.state != SubscriptionState.SUBSCRIBED) {
            log.debug("{}: dropping {} {}:{}: not subscribed, or waiting for a subscribe reply", connection,
                    publication.topic(), publication.epoch(), publication.offset());
            return;
        }
        switch (order(subscription.position, publication.epoch(), publication.offset())) {
            case NEXT -> {
                subscription.position = publication.position();
                stats.countPublication();
                listener.onPublication(publication);
            }
            case DUPLICATE -> stats.countPublicationDuplicate();
            case GAP -> {
                log.info("{}: {} {}:{} arrived at position {}:{}; re-syncing the topic", connection,
                        publication.topic(), publication.epoch(), publication.offset(),
                        subscription.position.epoch(), subscription.position.offset());
                stats.countTopicGap();
                changeState(subscription, SubscriptionState.SUBSCRIBING);
                String ref = nextRef();
                outbound.submitRequest(ref, Wire.unsubscribe(ref, subscription.topic), new CompletableFuture<>());
                sendSubscribe(subscription);
            }
        }
    }

    /**
     * The position reached in {@code topic} (before the first reply: the {@code since} it was subscribed
     * with), or null when there is none or the topic is not subscribed. Any thread.
     */
    TopicPosition position(String topic) {
        Subscription subscription = byTopic.get(topic);
        return subscription == null ? null : subscription.position;
    }

    /** The topics subscribed or being subscribed. Any thread. */
    Set<String> topics() {
        return Set.copyOf(byTopic.keySet());
    }

    private void sendSubscribe(Subscription subscription) {
        subscription.endAttempt();
        String ref = nextRef();
        TopicPosition recover = subscription.position;
        subscription.attemptRef = ref;
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        reply.whenComplete((data, error) -> onSubscribeReply(subscription, ref, recover, data, error));
        outbound.submitRequest(ref, Wire.subscribe(ref, subscription.topic, recover), reply);
    }

    private void onSubscribeReply(Subscription subscription, String ref, TopicPosition recover, JsonNode data,
                                  Throwable error) {
        if (byTopic.get(subscription.topic) != subscription || !ref.equals(subscription.attemptRef)) {
            return; // Unsubscribed, or superseded by a newer attempt.
        }
        subscription.attemptRef = null;
        if (error != null) {
            onSubscribeRefused(subscription, error instanceof SwitchboardException failure ? failure
                    : new SwitchboardException("subscribe failed", error));
            return;
        }
        String epoch = Wire.text(data, "epoch");
        long offset = data.path("offset").asLong(-1);
        if (epoch == null || offset < 0) {
            end(subscription, new SwitchboardException(
                    "malformed subscribe reply for " + subscription.topic + ": " + data));
            return;
        }
        TopicPosition newest = new TopicPosition(epoch, offset);
        if (recover == null) {
            subscription.position = newest;
        } else if (!data.path("recovered").asBoolean(false)) {
            String reason = Wire.text(data, "recoveryFailure");
            log.info("{}: cannot recover from {}:{}: {}; continuing from {}:{}", subscription.topic, recover.epoch(),
                    recover.offset(), reason, epoch, offset);
            subscription.position = newest;
            stats.countRecoveryFailure();
            listener.onRecoveryFailed(subscription.topic, reason == null ? "unknown" : reason, newest);
        }
        subscription.retries = 0;
        changeState(subscription, SubscriptionState.SUBSCRIBED);
        subscription.firstReply.complete(data);
    }

    private void onSubscribeRefused(Subscription subscription, SwitchboardException failure) {
        if (failure.code() == null) {
            return; // The connection was lost: subscribed again after the next welcome.
        }
        if (!failure.code().isRetryable()) {
            end(subscription, failure);
            return;
        }
        long delayNanos = retryBackoff.delay(Math.min(subscription.retries++, MAX_RETRY_EXPONENT)).toNanos();
        log.debug("subscribe to {} refused with {}; retrying in {} ms", subscription.topic, failure.code().wireName(),
                TimeUnit.NANOSECONDS.toMillis(delayNanos));
        subscription.retryTimer = scheduler.schedule(() -> {
            subscription.retryTimer = null;
            if (connected && byTopic.get(subscription.topic) == subscription && subscription.attemptRef == null) {
                sendSubscribe(subscription);
            }
        }, delayNanos, TimeUnit.NANOSECONDS);
    }

    private void end(Subscription subscription, SwitchboardException failure) {
        byTopic.remove(subscription.topic, subscription);
        subscription.endAttempt();
        subscription.state = SubscriptionState.UNSUBSCRIBED;
        listener.onSubscriptionStateChanged(subscription.topic, SubscriptionState.UNSUBSCRIBED, failure);
        subscription.firstReply.completeExceptionally(failure);
    }

    private void changeState(Subscription subscription, SubscriptionState next) {
        if (subscription.state != next) {
            subscription.state = next;
            listener.onSubscriptionStateChanged(subscription.topic, next, null);
        }
    }

    private String nextRef() {
        return "t" + ++refCounter;
    }

    /** One topic the client wants. */
    private static final class Subscription {
        final String topic;
        /** Completes with the first successful reply's data, or fails when the subscription ends before it. */
        final CompletableFuture<JsonNode> firstReply = new CompletableFuture<>();
        SubscriptionState state = SubscriptionState.SUBSCRIBING;
        /** Everything up to here was delivered (or given up by a failed recovery); null before the first reply. */
        volatile TopicPosition position;
        /** The ref of the outstanding {@code subscribe}, or null. */
        String attemptRef;
        ScheduledFuture<?> retryTimer;
        int retries;

        Subscription(String topic, TopicPosition since) {
            this.topic = topic;
            this.position = since;
        }

        /** Forgets the outstanding {@code subscribe} and any scheduled retry. */
        void endAttempt() {
            attemptRef = null;
            if (retryTimer != null) {
                retryTimer.cancel(false);
                retryTimer = null;
            }
        }
    }
}
