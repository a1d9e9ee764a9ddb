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

    List<Long> deliveredSeqs() {
        return messages.stream().map(InboxMessage::seq).toList();
    }
}
