package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.MessageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the server's messages after {@code welcome} (docs/PROTOCOL.md section 3): inbox entries go
 * through the {@link InboxSequencer} to the listener and the {@link AckTracker}; publications go to
 * {@link TopicSubscriptions}; replies go to {@link OutboundMessages}; presence events and errors nobody
 * waits for go to the listener. {@code welcome} and
 * {@code kicked} change the connection's life cycle and are handled by {@link ClientEngine}.
 *
 * <p>Not thread-safe: confined to the client's event loop.
 */
final class InboundDispatcher {
    private static final Logger log = LoggerFactory.getLogger(InboundDispatcher.class);

    private final InboxSequencer sequencer;
    private final AckTracker acks;
    private final OutboundMessages outbound;
    private final TopicSubscriptions topics;
    private final ClientListener listener;
    private final StatsCounters stats;

    InboundDispatcher(InboxSequencer sequencer, AckTracker acks, OutboundMessages outbound, TopicSubscriptions topics,
                      ClientListener listener, StatsCounters stats) {
        this.sequencer = sequencer;
        this.acks = acks;
        this.outbound = outbound;
        this.topics = topics;
        this.listener = listener;
        this.stats = stats;
    }

    /** Handles one message of type {@code type} that arrived on the welcomed {@code connection}. */
    void dispatch(Connection connection, MessageType type, JsonNode node) {
        switch (type) {
            case MESSAGE -> onMessage(connection, node);
            case TRUNCATED -> onTruncated(node);
            case SYNCED -> {
                sequencer.onSynced();
                listener.onSynced(node.path("seq").asLong());
            }
            case SENT -> outbound.onSent(node);
            case RESULT -> outbound.onReply(node, node.hasNonNull("data") ? node.get("data") : NullNode.getInstance());
            case PONG -> outbound.onReply(node, NullNode.getInstance());
            case ERROR -> onError(node);
            case PUBLICATION -> topics.onPublication(connection, node);
            case PRESENCE -> onPresence(connection, node);
            default -> log.debug("{}: ignoring a {} message from the server", connection, type.wireName());
        }
    }

    private void onMessage(Connection connection, JsonNode node) {
        long seq = node.path("seq").asLong(-1);
        JsonNode message = node.path("message");
        if (seq < 1 || !message.isObject()) {
            log.warn("{}: ignoring a malformed inbox entry: {}", connection, node);
            return;
        }
        switch (sequencer.offer(seq)) {
            case DELIVER -> {
                stats.countDelivered();
                listener.onMessage(Wire.inboxMessage(seq, message));
                acks.onProcessed(seq);
            }
            case DUPLICATE -> stats.countDuplicate();
            case GAP -> {
                log.info("{}: entry {} arrived after {}; asking for a resume", connection, seq, sequencer.lastSeq());
                connection.write(Wire.resume(sequencer.lastSeq()));
            }
            case AWAITING_RESUME -> log.debug("{}: dropping entry {} until the gap after {} fills",
                    connection, seq, sequencer.lastSeq());
        }
    }

    private void onPresence(Connection connection, JsonNode node) {
        String user = Wire.text(node, "user");
        JsonNode online = node.get("online");
        if (user == null || online == null || !online.isBoolean()) {
            log.warn("{}: ignoring a malformed presence event: {}", connection, node);
            return;
        }
        listener.onPresence(user, online.asBoolean());
    }

    private void onTruncated(JsonNode node) {
        long afterSeq = node.path("afterSeq").asLong();
        long nextSeq = node.path("nextSeq").asLong();
        if (sequencer.onTruncated(afterSeq, nextSeq)) {
            stats.countTruncated();
            listener.onTruncated(afterSeq, nextSeq);
            acks.onProcessed(sequencer.lastSeq());
        }
    }

    private void onError(JsonNode node) {
        String wireCode = Wire.text(node, "code");
        ErrorCode code = ErrorCode.fromWireName(wireCode);
        String message = Wire.text(node, "message");
        SwitchboardException error = new SwitchboardException(code,
                (wireCode == null ? code.wireName() : wireCode) + (message == null ? "" : ": " + message));
        if (!outbound.onError(Wire.text(node, "ref"), error)) {
            listener.onError(error);
        }
    }
}
