package dev.switchboard.client;

/**
 * Callbacks from a {@link SwitchboardClient}. Every method has a no-op default, so implement only what
 * you need.
 *
 * <p>Threading: every method is called on the client's event loop thread, one call at a time, in the
 * order the events happened. Implementations must not block (no {@code join()} on a client future, no
 * I/O that can stall): hand slow work to your own executor. An exception thrown from a callback is
 * logged and otherwise ignored.
 */
public interface ClientListener {

    /** The client moved from {@code previous} to {@code state}. */
    default void onStateChanged(ConnectionState state, ConnectionState previous) {
    }

    /**
     * One inbox entry. Each seq is delivered exactly once per client instance, in increasing seq order;
     * duplicates from resends and replays are suppressed before this is called.
     */
    default void onMessage(InboxMessage message) {
    }

    /** The catch-up after a {@code resume} is complete up to {@code seq}; what follows is live. */
    default void onSynced(long seq) {
    }

    /** Seqs {@code afterSeq+1 … nextSeq-1} expired on the server and will never be delivered. */
    default void onTruncated(long afterSeq, long nextSeq) {
    }

    /**
     * The server announced it is closing this connection for good: close code 4003 (kicked) follows, or
     * 4004 when the user was banned.
     */
    default void onKicked(String reason) {
    }

    /**
     * One publication on a subscribed topic. Per topic, each (epoch, offset) is delivered once per client
     * instance and in offset order: publications replayed after a reconnect or a re-sync are suppressed
     * when already delivered, and a publication that arrives after a gap is held back until the missing
     * ones have been recovered (or {@link #onRecoveryFailed} said they cannot be).
     */
    default void onPublication(Publication publication) {
    }

    /**
     * A topic subscription changed state.
     *
     * @param error why it became {@link SubscriptionState#UNSUBSCRIBED} when the server refused it (its
     *              {@link SwitchboardException#code() code}, e.g. {@code forbidden}) or the client closed;
     *              null otherwise
     */
    default void onSubscriptionStateChanged(String topic, SubscriptionState state, SwitchboardException error) {
    }

    /**
     * The client asked the server to replay what it missed on {@code topic} (after a reconnect, or after it
     * saw a gap) and the server could not: publications were lost. The application should treat what it
     * built from this topic as stale and reload it from its own backend. Delivery continues live from
     * {@code position}, the topic's newest position on the server; called before the subscription's
     * {@link SubscriptionState#SUBSCRIBED}.
     *
     * @param reason the server's {@code recoveryFailure}: {@code epoch_changed}, {@code gap_too_large} or
     *               {@code no_history} (or another code from a newer server)
     */
    default void onRecoveryFailed(String topic, String reason, TopicPosition position) {
    }

    /**
     * A user who shares a group or a 1:1 conversation with this one came online (their first connection)
     * or went offline (their last one closed). Sent only when the server enables {@code presence.events}.
     */
    default void onPresence(String userId, boolean online) {
    }

    /**
     * Something failed that no future is waiting for: an {@code error} reply without a matching request,
     * a transport failure (connect refused, TLS, handshake), or a refused authentication (then
     * {@link SwitchboardException#httpStatus()} is 401 or 403 and the client is closed).
     */
    default void onError(SwitchboardException error) {
    }

    /**
     * A connection that had been established (TCP connected) closed. Called once per connection, also
     * when the client will reconnect.
     *
     * @param code   the WebSocket close code the server sent or answered with, 1005 for a close frame
     *               without a code, or -1 when the connection ended without a close frame
     * @param reason the close reason, or a short description of why the connection ended
     */
    default void onClosed(int code, String reason) {
    }
}
