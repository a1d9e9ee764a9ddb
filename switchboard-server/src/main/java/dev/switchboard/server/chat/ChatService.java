package dev.switchboard.server.chat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.protocol.TargetKind;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.store.AppendRequest;
import dev.switchboard.server.store.MessageStore;
import dev.switchboard.server.store.AppendResult;
import dev.switchboard.server.webhook.Webhooks;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code send} request: validate, store first (durable, seq per recipient), then deliver and
 * acknowledge. The sender's {@code sent} is written only after the store committed.
 */
public final class ChatService {
    private static final Logger log = LoggerFactory.getLogger(ChatService.class);
    private final MessageStore store;
    private final Router router;
    private final int maxBodyBytes;
    private final ServerMetrics metrics;
    private final Webhooks webhooks;

    public ChatService(MessageStore store, Router router, int maxBodyBytes, ServerMetrics metrics, Webhooks webhooks) {
        this.store = store;
        this.router = router;
        this.maxBodyBytes = maxBodyBytes;
        this.metrics = metrics;
        this.webhooks = webhooks;
    }

    /** Handles one {@code send}; called on the connection's event loop, returns without waiting. */
    void send(Session session, String ref, JsonNode request) {
        String clientId = RequestFields.requiredString(request, "clientId", Identifiers::isValidClientId,
                "a non-blank string of at most " + Identifiers.MAX_CLIENT_ID_LENGTH + " chars");
        JsonNode to = request.get("to");
        if (to == null || to.isNull()) {
            throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field 'to'");
        }
        if (!to.isObject()) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD, "field 'to' must be an object {kind, id}");
        }
        String kindName = RequestFields.requiredString(to, "kind", name -> TargetKind.fromWireName(name) != null,
                "\"user\" or \"group\"");
        TargetKind kind = TargetKind.fromWireName(kindName);
        String targetId = kind == TargetKind.USER
                ? RequestFields.requiredString(to, "id", Identifiers::isValidUserId, "a valid user id")
                : RequestFields.requiredString(to, "id", Identifiers::isValidGroupId, "a valid group id");
        String bodyJson = RequestFields.requiredJsonValue(request, "body", maxBodyBytes);
        String fileId = RequestFields.optionalString(request, "fileId", Identifiers::isValidFileId,
                "a file id ('f-' and 32 hex digits)");
        if (!session.tryAcquireSend(ref)) {
            return;
        }
        metrics.messageIn(ServerMetrics.Kind.CHAT);
        Connection connection = session.connection();
        // The store checks the file and grants the recipients its download in the message's own transaction.
        AppendRequest append = AppendRequest.withFile(connection.userId(), connection.deviceId(), kind, targetId, clientId,
                bodyJson, System.currentTimeMillis(), fileId);
        append(append).whenComplete((result, error) -> connection.eventLoop().execute(() -> {
            if (error != null) {
                session.replyFailure(ref, error);
            } else {
                connection.reply(OutboundMessages.sent(ref, result));
            }
        }));
    }

    /**
     * Stores a message, then hands it to every live recipient connection, cluster-wide: the one path
     * for client sends and server API messages. Completes (on the store's writer thread) after both, and
     * after the message is reported to the webhooks (a stored duplicate is not reported again).
     */
    public CompletableFuture<AppendResult> append(AppendRequest append) {
        return store.append(append).whenComplete((result, error) -> {
            // On the store writer thread, in commit order: deliver first, then the caller acknowledges.
            if (error == null) {
                byte[] encoded = null;
                try {
                    encoded = router.dispatch(result);
                } catch (RuntimeException e) {
                    log.atError().setMessage("live delivery failed; recipients catch up from the store")
                            .addKeyValue("messageId", result.message().id()).setCause(e).log();
                }
                if (!result.duplicate()) {
                    webhooks.messageStored(result.message(), encoded); // the recipients' bytes, not encoded twice
                }
            }
        });
    }

    /** Largest serialized body accepted. */
    public int maxBodyBytes() {
        return maxBodyBytes;
    }
}
