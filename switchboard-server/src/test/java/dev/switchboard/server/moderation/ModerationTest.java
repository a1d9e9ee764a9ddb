package dev.switchboard.server.moderation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.switchboard.server.cluster.ControlBus;
import dev.switchboard.server.cluster.ControlCommand;
import dev.switchboard.server.registry.ConnectionRegistry;
import dev.switchboard.server.store.Ban;
import dev.switchboard.server.store.BanStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * {@link Moderation}'s in-memory ban copy (what every handshake consults) against the store, with
 * the store's reads completed by hand so that a ban or unban can land while a periodic
 * {@link Moderation#refreshBans} read is in flight, as it can on a live node.
 */
class ModerationTest {
    private final ManualBanStore store = new ManualBanStore();
    private final Moderation moderation = new Moderation(new ConnectionRegistry(), new DirectControlBus(), store);

    @Test
    void refreshBans_loadsTheStoredBans() {
        store.stored.put("bob", new Ban("bob", "spam", 0));
        store.stored.put("eve", new Ban("eve", "old", System.currentTimeMillis() - 1));

        CompletableFuture<Void> refreshed = moderation.refreshBans();
        store.completeNextRead();

        assertThat(refreshed).isDone();
        assertThat(moderation.activeBan("bob")).isEqualTo(new Ban("bob", "spam", 0));
        assertThat(moderation.activeBan("eve")).as("an ended ban does not count").isNull();
    }

    @Test
    void activeBan_isNull_onceTheBanHasEnded() {
        startWithNoBans();
        moderation.ban(new Ban("bob", "cool off", System.currentTimeMillis() - 1)).join();

        assertThat(moderation.activeBan("bob")).isNull();
    }

    @Test
    void refreshBans_doesNotRestoreABan_liftedWhileTheStoreReadWasInFlight() {
        startWithNoBans();
        moderation.ban(new Ban("bob", "spam", 0)).join();
        CompletableFuture<Void> refresh = moderation.refreshBans(); // reads the store: bob is banned

        assertThat(moderation.unban("bob").join()).isTrue();
        assertThat(moderation.activeBan("bob")).as("lifted").isNull();
        store.completeNextRead(List.of(new Ban("bob", "spam", 0))); // the read taken before the unban arrives

        assertThat(refresh).isDone();
        assertThat(moderation.activeBan("bob"))
                .as("a lifted ban must stay lifted; a stale refresh re-bans bob until the next refresh")
                .isNull();
    }

    @Test
    void refreshBans_doesNotDropABan_storedWhileTheStoreReadWasInFlight() {
        startWithNoBans();
        CompletableFuture<Void> refresh = moderation.refreshBans(); // reads the store: nobody is banned

        moderation.ban(new Ban("bob", "spam", 0)).join();
        assertThat(moderation.activeBan("bob")).as("banned").isNotNull();
        store.completeNextRead(List.of()); // the read taken before the ban arrives

        assertThat(refresh).isDone();
        assertThat(moderation.activeBan("bob"))
                .as("a new ban must hold; a stale refresh lets bob connect until the next refresh")
                .isNotNull();
    }

    private void startWithNoBans() {
        CompletableFuture<Void> started = CompletableFuture.runAsync(moderation::start);
        await().atMost(Duration.ofSeconds(10)).until(store::hasPendingRead);
        store.completeNextRead();
        started.join();
    }

    /** Bans in a map; writes complete at once, reads of the active bans only when the test says so. */
    private static final class ManualBanStore implements BanStore {
        final Map<String, Ban> stored = new ConcurrentHashMap<>();
        private final Queue<CompletableFuture<List<Ban>>> pendingReads = new ArrayDeque<>();

        @Override
        public CompletableFuture<Ban> ban(Ban ban) {
            stored.put(ban.userId(), ban);
            return CompletableFuture.completedFuture(ban);
        }

        @Override
        public CompletableFuture<Boolean> unban(String userId) {
            return CompletableFuture.completedFuture(stored.remove(userId) != null);
        }

        @Override
        public synchronized CompletableFuture<List<Ban>> activeBans() {
            CompletableFuture<List<Ban>> read = new CompletableFuture<>();
            pendingReads.add(read);
            return read;
        }

        synchronized boolean hasPendingRead() {
            return !pendingReads.isEmpty();
        }

        /** Completes the oldest pending read with the store's current active bans. */
        void completeNextRead() {
            long now = System.currentTimeMillis();
            completeNextRead(stored.values().stream().filter(ban -> ban.isActive(now)).toList());
        }

        /** Completes the oldest pending read with {@code snapshot}, as read at the time the read was made. */
        void completeNextRead(List<Ban> snapshot) {
            CompletableFuture<List<Ban>> read;
            synchronized (this) {
                read = pendingReads.remove();
            }
            read.complete(snapshot);
        }
    }

    /** A single node's control bus: every command goes straight to the handler, as LocalControlBus does. */
    private static final class DirectControlBus implements ControlBus {
        private volatile Consumer<ControlCommand> handler = command -> { };

        @Override
        public void start(Consumer<ControlCommand> handler) {
            this.handler = handler;
        }

        @Override
        public CompletableFuture<Void> publish(ControlCommand command) {
            handler.accept(command);
            return CompletableFuture.completedFuture(null);
        }
    }
}
