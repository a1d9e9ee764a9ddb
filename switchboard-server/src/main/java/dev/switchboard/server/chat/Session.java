package dev.switchboard.server.chat;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.store.StoreBusyException;
import dev.switchboard.server.store.StoreException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Per-connection request state: the send rate limiter and the abuse counters that turn a stream of
 * bad requests into a close (4000 / 4029) while a few bad requests only get error replies.
 * Confined to the connection's event loop, but for the per-user send limit, which the node's event
 * loops share ({@link KeyedRateLimiter}).
 */
public final class Session {
    private static final Logger log = LoggerFactory.getLogger(Session.class);
    private static final long WINDOW_NANOS = TimeUnit.MINUTES.toNanos(1);

    private final Connection connection;
    private final SessionPolicy policy;
    /** {@link RateLimit} states of the send and request limits. */
    private long sendRateState;
    private long requestRateState;
    private long windowStartNanos;
    private int invalidRequests;
    private int rateLimited;
    /** A file chunk of this connection is being stored (one at a time, {@link FileCommands}); fits the object's padding. */
    private boolean storingChunk;

    public Session(Connection connection, SessionPolicy policy) {
        this.connection = connection;
        this.policy = policy;
        long now = System.nanoTime();
        this.sendRateState = policy.sends().initialState(now);
        this.requestRateState = policy.requests().initialState(now);
        this.windowStartNanos = now;
    }

    public Connection connection() {
        return connection;
    }

    public InboxStream inbox() {
        return connection.inbox();
    }

    /** Takes a send token, or answers {@code rate_limited} (and closes with 4029 on sustained abuse). */
    boolean tryAcquireSend(String ref) {
        return tryAcquire(true, ref, System.nanoTime());
    }

    /** {@link #tryAcquireSend(String)} at {@code nowNanos} (no earlier than the session's creation), for tests. */
    boolean tryAcquireSend(String ref, long nowNanos) {
        return tryAcquire(true, ref, nowNanos);
    }

    /**
     * Takes a token for a group or presence request (each costs store or Redis work), or answers
     * {@code rate_limited}; refusals count towards the abuse limit like sends.
     */
    boolean tryAcquireRequest(String ref) {
        return tryAcquire(false, ref, System.nanoTime());
    }

    /**
     * One limit or the other: their states are plain fields (no object per limit per connection). A send
     * must also pass its user's limit, which the user's connections on this node share; it is asked
     * only once the connection's own limit admits the send, and a send it refuses leaves the
     * connection's state as it was, so a refusal costs no token anywhere.
     */
    private boolean tryAcquire(boolean send, String ref, long now) {
        RateLimit limit = send ? policy.sends() : policy.requests();
        long state = limit.admit(send ? sendRateState : requestRateState, now);
        if (state == RateLimit.REFUSED) {
            refuse(now, ref, send ? ServerMetrics.RateLimited.SEND : ServerMetrics.RateLimited.REQUEST);
            return false;
        }
        if (send) {
            if (!policy.userSends().tryAcquire(connection.userId(), now)) {
                refuse(now, ref, ServerMetrics.RateLimited.USER_SEND);
                return false;
            }
            sendRateState = state;
        } else {
            requestRateState = state;
        }
        return true;
    }

    boolean isStoringChunk() {
        return storingChunk;
    }

    void setStoringChunk(boolean storing) {
        storingChunk = storing;
    }

    /**
     * Refuses a file chunk sent while the previous one is being stored: {@code rate_limited}, counted
     * like a send over the rate limit.
     */
    void refuseChunkWhileStoring(String ref) {
        refuse(System.nanoTime(), ref, ServerMetrics.RateLimited.SEND, "send",
                "one chunk at a time: wait for the previous chunk's result");
    }

    private void refuse(long now, String ref, ServerMetrics.RateLimited limit) {
        String what = switch (limit) {
            case SEND -> "send";
            case USER_SEND -> "user send";
            case REQUEST -> "request";
        };
        refuse(now, ref, limit, what, what + " rate limit exceeded");
    }

    private void refuse(long now, String ref, ServerMetrics.RateLimited limit, String what, String message) {
        policy.metrics().rateLimited(limit);
        rollWindow(now);
        connection.reply(OutboundMessages.error(ref, ErrorCode.RATE_LIMITED, message));
        if (++rateLimited > policy.maxRateLimited()) {
            log.atWarn().setMessage("closing connection over rate abuse").addKeyValue("connectionId", connection.connectionId())
                    .addKeyValue("userId", connection.userId()).addKeyValue("limit", what).log();
            connection.close(CloseCodes.RATE_LIMIT_ABUSE, what + " rate abuse");
        }
    }

    /** Answers a failed request; client-fault errors count towards the abuse limit. */
    public void reject(String ref, ErrorCode code, String message) {
        connection.reply(OutboundMessages.error(ref, code, message));
        if (isClientFault(code)) {
            rollWindow(System.nanoTime());
            if (++invalidRequests > policy.maxInvalidRequests()) {
                log.atWarn().setMessage("closing connection over invalid requests").addKeyValue("connectionId", connection.connectionId())
                        .addKeyValue("userId", connection.userId()).addKeyValue("lastError", code.wireName()).log();
                connection.close(CloseCodes.PROTOCOL_ABUSE, "too many invalid requests");
            }
        }
    }

    /** Maps a failed store future (or any exception) to an error reply. */
    public void replyFailure(String ref, Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof RequestRejectedException rejected) {
            reject(ref, rejected.code(), rejected.getMessage());
        } else if (cause instanceof StoreBusyException) {
            reject(ref, ErrorCode.STORE_BUSY, "store is busy, retry later");
        } else if (cause instanceof StoreException) {
            reject(ref, ErrorCode.STORE_UNAVAILABLE, "store unavailable, retry later");
        } else {
            log.atError().setMessage("request failed").addKeyValue("connectionId", connection.connectionId())
                    .addKeyValue("userId", connection.userId()).setCause(cause).log();
            reject(ref, ErrorCode.INTERNAL, "internal error");
        }
    }

    private void rollWindow(long now) {
        if (now - windowStartNanos > WINDOW_NANOS) {
            windowStartNanos = now;
            invalidRequests = 0;
            rateLimited = 0;
        }
    }

    private static boolean isClientFault(ErrorCode code) {
        return switch (code) {
            case BAD_JSON, UNKNOWN_TYPE, MISSING_FIELD, INVALID_FIELD, PAYLOAD_TOO_LARGE, UNSUPPORTED_FRAME,
                    FORBIDDEN, SUBSCRIPTION_LIMIT, FILE_TOO_LARGE -> true;
            default -> false;
        };
    }
}
