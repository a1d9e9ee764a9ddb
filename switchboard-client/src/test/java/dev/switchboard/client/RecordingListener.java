package dev.switchboard.client;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** Records every callback, for assertions from the test thread. */
final class RecordingListener implements ClientListener {
    final List<InboxMessage> messages = new CopyOnWriteArrayList<>();
    final List<ConnectionState> states = new CopyOnWriteArrayList<>();
    final List<Integer> closeCodes = new CopyOnWriteArrayList<>();
    final List<SwitchboardException> errors = new CopyOnWriteArrayList<>();
    final List<String> kicks = new CopyOnWriteArrayList<>();
    final List<Long> synced = new CopyOnWriteArrayList<>();
    final List<Publication> publications = new CopyOnWriteArrayList<>();
    /** "topic STATE" or "topic STATE error-code" per change. */
    final List<String> subscriptionStates = new CopyOnWriteArrayList<>();
    /** "topic reason epoch:offset" per failed recovery. */
    final List<String> recoveryFailures = new CopyOnWriteArrayList<>();
    /** "user online|offline" per presence event. */
    final List<String> presence = new CopyOnWriteArrayList<>();

    @Override
    public void onStateChanged(ConnectionState state, ConnectionState previous) {
        states.add(state);
    }

    @Override
    public void onMessage(InboxMessage message) {
        messages.add(message);
    }

    @Override
    public void onSynced(long seq) {
        synced.add(seq);
    }

    @Override
    public void onKicked(String reason) {
        kicks.add(reason);
    }

    @Override
    public void onError(SwitchboardException error) {
        errors.add(error);
    }

    @Override
    public void onClosed(int code, String reason) {
        closeCodes.add(code);
    }

    @Override
    public void onPublication(Publication publication) {
        publications.add(publication);
    }

    @Override
    public void onSubscriptionStateChanged(String topic, SubscriptionState state, SwitchboardException error) {
        subscriptionStates.add(topic + " " + state + (error == null ? ""
                : " " + (error.code() == null ? "closeCode=" + error.closeCode() : error.code().wireName())));
    }

    @Override
    public void onRecoveryFailed(String topic, String reason, TopicPosition position) {
        recoveryFailures.add(topic + " " + reason + " " + position.epoch() + ":" + position.offset());
    }

    @Override
    public void onPresence(String userId, boolean online) {
        presence.add(userId + (online ? " online" : " offline"));
    }

    /** "epoch:offset data" of every publication on {@code topic}, in delivery order. */
    List<String> publicationsOf(String topic) {
        return publications.stream().filter(publication -> publication.topic().equals(topic))
                .map(publication -> publication.epoch() + ":" + publication.offset() + " " + publication.data().asText())
                .toList();
    }

    List<Long> deliveredSeqs() {
        return messages.stream().map(InboxMessage::seq).toList();
    }
}
