package dev.switchboard.client;

/**
 * Life cycle of one topic subscription of a {@link SwitchboardClient}, reported by
 * {@link ClientListener#onSubscriptionStateChanged}. A subscription moves
 * {@code SUBSCRIBING → SUBSCRIBED ⇄ SUBSCRIBING} and ends in {@code UNSUBSCRIBED}.
 */
public enum SubscriptionState {
    /**
     * A {@code subscribe} is on its way or waits for the next connection: after
     * {@link SwitchboardClient#subscribe}, after every lost connection, and while the client re-syncs a
     * topic on which it missed publications. Publications are not delivered in this state; the ones
     * missed are replayed after it, when the server still has them.
     */
    SUBSCRIBING,
    /** The server confirmed the subscription; publications are delivered in offset order. */
    SUBSCRIBED,
    /**
     * Final: {@link SwitchboardClient#unsubscribe}, a refusal by the server (e.g. {@code forbidden},
     * {@code subscription_limit}) or the client closed.
     */
    UNSUBSCRIBED
}
