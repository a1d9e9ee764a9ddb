package dev.switchboard.server.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.topic.Publication;
import dev.switchboard.server.topic.StreamPosition;
import dev.switchboard.server.topic.TopicHistory;
import dev.switchboard.server.topic.TopicHub;
import dev.switchboard.server.topic.TopicNames;
import dev.switchboard.server.topic.TopicPolicy;
import dev.switchboard.server.topic.TopicSubscription;
import java.util.List;
import java.util.Map;

/**
 * The {@code subscribe}, {@code unsubscribe} and {@code publish} requests (docs/PROTOCOL.md,
 * Topics). Runs on the connection's event loop; the subscription's set-up completes there too.
 */
public final class TopicCommands {
    private static final int MAX_EPOCH_LENGTH = 64;

    private final TopicHub hub;
    private final TopicPolicy policy;
    private final int maxSubscriptions;
    private final int maxDataBytes;
    private final ServerMetrics metrics;

    public TopicCommands(TopicHub hub, TopicPolicy policy, int maxSubscriptions, int maxDataBytes, ServerMetrics metrics) {
        this.hub = hub;
        this.policy = policy;
        this.maxSubscriptions = maxSubscriptions;
        this.maxDataBytes = maxDataBytes;
        this.metrics = metrics;
    }

    void subscribe(Session session, String ref, JsonNode request) {
        Connection connection = session.connection();
        String topic = topic(request);
        StreamPosition since = recoverFrom(request);
        if (!policy.maySubscribe(connection.principal(), topic)) {
            throw new RequestRejectedException(ErrorCode.FORBIDDEN, "not allowed to subscribe to topic " + topic);
        }
        Map<String, TopicSubscription> subscriptions = connection.topicSubscriptions();
        if (!subscriptions.containsKey(topic) && subscriptions.size() >= maxSubscriptions) {
            throw new RequestRejectedException(ErrorCode.SUBSCRIPTION_LIMIT,
                    "a connection may subscribe to at most " + maxSubscriptions + " topics");
        }
        if (!session.tryAcquireRequest(ref)) {
            return;
        }
        TopicSubscription previous = subscriptions.remove(topic);
        if (previous != null) {
            hub.remove(previous); // subscribing again re-synchronizes: a fresh set-up, with recovery if asked
        }
        TopicSubscription subscription = new TopicSubscription(connection, topic);
        subscriptions.put(topic, subscription);
        int historySize = policy.historySize(topic);
        hub.add(subscription)
                .thenCompose(subscribed -> hub.engine().history(topic, since != null && historySize > 0))
                .whenCompleteAsync((history, error) -> {
                    if (subscription.isCancelled()) {
                        return; // unsubscribed, resubscribed or closed meanwhile
                    }
                    if (error != null) {
                        subscriptions.remove(topic, subscription);
                        hub.remove(subscription);
                        session.replyFailure(ref, error);
                        return;
                    }
                    start(session, ref, subscription, history, since, historySize);
                }, connection.eventLoop());
    }

    private void start(Session session, String ref, TopicSubscription subscription, TopicHistory history,
                       StreamPosition since, int historySize) {
        StreamPosition latest = history.latest();
        ObjectNode data = OutboundMessages.JSON.createObjectNode();
        data.put("topic", subscription.topic());
        data.put("epoch", latest.epoch());
        data.put("offset", latest.offset());
        data.put("history", historySize > 0);
        List<Publication> recovered = List.of();
        StreamPosition after = latest;
        if (since != null) {
            TopicHistory.Recovery recovery = history.recover(since);
            TopicHistory.RecoveryFailure failure = recovery.failure() == null && subscription.overflowed()
                    ? TopicHistory.RecoveryFailure.GAP_TOO_LARGE // live publications were dropped while setting up
                    : recovery.failure();
            data.put("recovered", failure == null);
            if (failure != null) {
                data.put("recoveryFailure", failure.wireName());
            } else {
                recovered = recovery.missed();
                after = since;
            }
        }
        session.connection().reply(OutboundMessages.result(ref, data));
        metrics.messagesOut(ServerMetrics.Kind.TOPIC, subscription.goLive(after, recovered));
    }

    void unsubscribe(Session session, String ref, JsonNode request) {
        String topic = topic(request);
        TopicSubscription subscription = session.connection().topicSubscriptions().remove(topic);
        if (subscription != null) {
            hub.remove(subscription);
        }
        ObjectNode data = OutboundMessages.JSON.createObjectNode();
        data.put("topic", topic);
        session.connection().reply(OutboundMessages.result(ref, data));
    }

    void publish(Session session, String ref, JsonNode request) {
        Connection connection = session.connection();
        String topic = topic(request);
        String dataJson = RequestFields.requiredJsonValue(request, "data", maxDataBytes);
        if (!policy.mayPublish(connection.principal(), topic)) {
            throw new RequestRejectedException(ErrorCode.FORBIDDEN, "not allowed to publish on topic " + topic);
        }
        if (!session.tryAcquireSend(ref)) {
            return;
        }
        metrics.messageIn(ServerMetrics.Kind.TOPIC);
        hub.engine().publish(topic, connection.userId(), dataJson, policy.historySize(topic), null)
                .whenCompleteAsync((published, error) -> {
                    if (error != null) {
                        session.replyFailure(ref, error);
                        return;
                    }
                    StreamPosition position = published.position();
                    connection.reply(OutboundMessages.publishResult(ref, topic, position.epoch(), position.offset()));
                }, connection.eventLoop());
    }

    /** Ends every subscription of a closed connection (on its event loop). */
    public void connectionClosed(Connection connection) {
        Map<String, TopicSubscription> subscriptions = connection.topicSubscriptionsIfAny();
        if (subscriptions == null) {
            return;
        }
        for (TopicSubscription subscription : List.copyOf(subscriptions.values())) {
            hub.remove(subscription);
        }
        subscriptions.clear();
    }

    private static String topic(JsonNode request) {
        return RequestFields.requiredString(request, "topic", TopicNames::isValid,
                "1-" + TopicNames.MAX_LENGTH + " characters of A-Z a-z 0-9 _ . : @ / -");
    }

    /** The optional {@code recover: {epoch, offset}}. */
    private static StreamPosition recoverFrom(JsonNode request) {
        JsonNode recover = request.get("recover");
        if (recover == null || recover.isNull()) {
            return null;
        }
        if (!recover.isObject()) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field 'recover' must be an object {epoch, offset}");
        }
        String epoch = RequestFields.requiredString(recover, "epoch",
                value -> !value.isEmpty() && value.length() <= MAX_EPOCH_LENGTH, "the epoch string from a previous result or publication");
        long offset = RequestFields.requiredSeq(recover, "offset");
        return new StreamPosition(epoch, offset);
    }
}
