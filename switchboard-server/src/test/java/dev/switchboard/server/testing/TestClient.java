package dev.switchboard.server.testing;

import dev.switchboard.client.ClientConfig;
import dev.switchboard.client.ClientListener;
import dev.switchboard.client.ConnectionState;
import dev.switchboard.client.InboxMessage;
import dev.switchboard.client.SwitchboardClient;
import dev.switchboard.client.SwitchboardException;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The real Java SDK wired to a recording listener, with fast reconnects for tests. Everything the
 * client reports is kept, so tests assert on what the application would have seen; an optional
 * observer gets every callback too (after it is recorded), on the client's event loop.
 */
public final class TestClient implements ClientListener, AutoCloseable {
    public final Queue<InboxMessage> messages = new ConcurrentLinkedQueue<>();
    public final List<ConnectionState> states = new CopyOnWriteArrayList<>();
    public final List<String> kicks = new CopyOnWriteArrayList<>();
    public final List<Integer> closeCodes = new CopyOnWriteArrayList<>();
    private final SwitchboardClient client;
    private final ClientListener observer;

    private TestClient(ClientConfig config, ClientListener observer) {
        this.observer = observer == null ? new ClientListener() { } : observer;
        this.client = new SwitchboardClient(config, this);
    }

    /** A development-mode client for {@code user} on {@code device}, connected (waits for welcome). */
    public static TestClient connect(URI uri, String user, String device) {
        return connect(uri, user, device, builder -> { });
    }

    public static TestClient connect(URI uri, String user, String device, Consumer<ClientConfig.Builder> customizer) {
        TestClient client = create(uri, user, device, customizer);
        client.client.connect();
        client.client.connected().orTimeout(10, TimeUnit.SECONDS).join();
        return client;
    }

    /** Not connected yet: call {@code sdk().connect()}. */
    public static TestClient create(URI uri, String user, String device, Consumer<ClientConfig.Builder> customizer) {
        return create(uri, user, device, customizer, null);
    }

    /** Not connected yet: call {@code sdk().connect()}. {@code observer} (may be null) sees every callback. */
    public static TestClient create(URI uri, String user, String device, Consumer<ClientConfig.Builder> customizer,
                                    ClientListener observer) {
        ClientConfig.Builder builder = ClientConfig.builder(uri)
                .devUser(user)
                .deviceId(device)
                .backoffBase(Duration.ofMillis(50))
                .backoffMax(Duration.ofMillis(500))
                .ackDelay(Duration.ofMillis(20));
        customizer.accept(builder);
        return new TestClient(builder.build(), observer);
    }

    public SwitchboardClient sdk() {
        return client;
    }

    /** Client ids of the received messages, in delivery order. */
    public List<String> receivedClientIds() {
        return messages.stream().map(InboxMessage::clientId).toList();
    }

    @Override
    public void onMessage(InboxMessage message) {
        messages.add(message);
        observer.onMessage(message);
    }

    @Override
    public void onStateChanged(ConnectionState state, ConnectionState previous) {
        states.add(state);
        observer.onStateChanged(state, previous);
    }

    @Override
    public void onSynced(long seq) {
        observer.onSynced(seq);
    }

    @Override
    public void onTruncated(long afterSeq, long nextSeq) {
        observer.onTruncated(afterSeq, nextSeq);
    }

    @Override
    public void onError(SwitchboardException error) {
        observer.onError(error);
    }

    @Override
    public void onKicked(String reason) {
        kicks.add(reason);
        observer.onKicked(reason);
    }

    @Override
    public void onClosed(int code, String reason) {
        closeCodes.add(code);
        observer.onClosed(code, reason);
    }

    @Override
    public void close() {
        client.close();
    }
}
