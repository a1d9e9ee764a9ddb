package dev.switchboard.client;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Calls the application's {@link ClientListener} and contains its failures: an exception thrown by a
 * callback is logged and swallowed, so a buggy listener cannot break sequencing, acknowledgement or
 * reconnection. See {@link ClientListener} for the threading contract.
 */
final class SafeListener implements ClientListener {
    private static final Logger log = LoggerFactory.getLogger(SafeListener.class);

    private final ClientListener delegate;

    SafeListener(ClientListener delegate) {
        this.delegate = delegate == null ? new ClientListener() { } : delegate;
    }

    @Override
    public void onStateChanged(ConnectionState state, ConnectionState previous) {
        try {
            delegate.onStateChanged(state, previous);
        } catch (RuntimeException e) {
            log.warn("onStateChanged({}, {}) failed", state, previous, e);
        }
    }

    @Override
    public void onMessage(InboxMessage message) {
        try {
            delegate.onMessage(message);
        } catch (RuntimeException e) {
            log.warn("onMessage(seq {}) failed; the entry counts as processed", message.seq(), e);
        }
    }

    @Override
    public void onSynced(long seq) {
        try {
            delegate.onSynced(seq);
        } catch (RuntimeException e) {
            log.warn("onSynced({}) failed", seq, e);
        }
    }

    @Override
    public void onTruncated(long afterSeq, long nextSeq) {
        try {
            delegate.onTruncated(afterSeq, nextSeq);
        } catch (RuntimeException e) {
            log.warn("onTruncated({}, {}) failed", afterSeq, nextSeq, e);
        }
    }

    @Override
    public void onKicked(String reason) {
        try {
            delegate.onKicked(reason);
        } catch (RuntimeException e) {
            log.warn("onKicked({}) failed", reason, e);
        }
    }

    @Override
    public void onPublication(Publication publication) {
        try {
            delegate.onPublication(publication);
        } catch (RuntimeException e) {
            log.warn("onPublication({} {}:{}) failed; it counts as delivered", publication.topic(),
                    publication.epoch(), publication.offset(), e);
        }
    }

    @Override
    public void onSubscriptionStateChanged(String topic, SubscriptionState state, SwitchboardException error) {
        try {
            delegate.onSubscriptionStateChanged(topic, state, error);
        } catch (RuntimeException e) {
            log.warn("onSubscriptionStateChanged({}, {}) failed", topic, state, e);
        }
    }

    @Override
    public void onRecoveryFailed(String topic, String reason, TopicPosition position) {
        try {
            delegate.onRecoveryFailed(topic, reason, position);
        } catch (RuntimeException e) {
            log.warn("onRecoveryFailed({}, {}) failed", topic, reason, e);
        }
    }

    @Override
    public void onPresence(String userId, boolean online) {
        try {
            delegate.onPresence(userId, online);
        } catch (RuntimeException e) {
            log.warn("onPresence({}, {}) failed", userId, online, e);
        }
    }

    @Override
    public void onError(SwitchboardException error) {
        try {
            delegate.onError(error);
        } catch (RuntimeException e) {
            log.warn("onError({}) failed", error.getMessage(), e);
        }
    }

    @Override
    public void onClosed(int code, String reason) {
        try {
            delegate.onClosed(code, reason);
        } catch (RuntimeException e) {
            log.warn("onClosed({}, {}) failed", code, reason, e);
        }
    }
}
