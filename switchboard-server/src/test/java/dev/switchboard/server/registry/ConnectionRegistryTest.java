package dev.switchboard.server.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.server.auth.Principal;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ConnectionRegistryTest {
    private static final dev.switchboard.server.metrics.ServerMetrics METRICS = new dev.switchboard.server.metrics.ServerMetrics();
    private static final int THREADS = 8;
    private static final int CONNECTIONS = 10_000;
    private static final int USERS = 500;

    private final ConnectionRegistry registry = new ConnectionRegistry();
    private final EmbeddedChannel channel = new EmbeddedChannel();
    private static final ConnectionIds CONNECTION_IDS = new ConnectionIds();

    @AfterEach
    void closeChannel() {
        channel.finishAndReleaseAll();
    }

    @Test
    void newConnectionId_isUniqueAndShort_andDiffersBetweenProcesses() {
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            String id = registry.connectionIds().format(registry.connectionIds().next());
            assertThat(id).hasSizeLessThanOrEqualTo(16).matches("[0-9a-z]{7}-[0-9a-z]+");
            assertThat(seen.add(id)).as("unique: %s", id).isTrue();
        }
        ConnectionIds otherProcess = new ConnectionRegistry().connectionIds();
        String otherProcessPrefix = otherProcess.format(otherProcess.next()).split("-")[0];
        assertThat(seen).as("another registry (another process) draws its own prefix")
                .noneMatch(id -> id.startsWith(otherProcessPrefix + "-"));
    }

    @Test
    void register_returnsNull_whenDeviceIsNew() {
        Connection phone = connection("alice", "phone");

        assertThat(registry.register(phone)).isNull();
        assertThat(registry.connection("alice", "phone")).isSameAs(phone);
        assertThat(registry.size()).isEqualTo(1);
        assertThat(registry.userCount()).isEqualTo(1);
    }

    @Test
    void register_returnsReplacedConnection_whenSameUserAndDevice() {
        Connection older = connection("alice", "phone");
        Connection newer = connection("alice", "phone");
        registry.register(older);

        assertThat(registry.register(newer)).isSameAs(older);
        assertThat(registry.connection("alice", "phone")).isSameAs(newer);
        assertThat(registry.size()).as("a replacement does not add a connection").isEqualTo(1);
    }

    @Test
    void size_countsDevices_whenUsersHaveSeveralDevices() {
        registry.register(connection("alice", "phone"));
        registry.register(connection("alice", "laptop"));
        registry.register(connection("bob", "phone"));

        assertThat(registry.size()).isEqualTo(3);
        assertThat(registry.userCount()).isEqualTo(2);
    }

    @Test
    void connectionsOf_returnsEveryDeviceOfUser_whenSeveralRegistered() {
        Connection phone = connection("alice", "phone");
        Connection laptop = connection("alice", "laptop");
        registry.register(phone);
        registry.register(laptop);
        registry.register(connection("bob", "phone"));

        assertThat(registry.connectionsOf("alice")).containsExactlyInAnyOrder(phone, laptop);
        assertThat(registry.connectionsOf("carol")).isEmpty();
    }

    @Test
    void unregister_returnsFalseAndKeepsCurrent_whenConnectionWasReplaced() {
        Connection older = connection("alice", "phone");
        Connection newer = connection("alice", "phone");
        registry.register(older);
        registry.register(newer);

        assertThat(registry.unregister(older)).as("unregistering a stale connection").isFalse();
        assertThat(registry.connection("alice", "phone")).isSameAs(newer);
        assertThat(registry.size()).isEqualTo(1);
    }

    @Test
    void unregister_removesUser_whenLastDeviceGoes() {
        Connection phone = connection("alice", "phone");
        Connection laptop = connection("alice", "laptop");
        registry.register(phone);
        registry.register(laptop);

        assertThat(registry.unregister(phone)).isTrue();
        assertThat(registry.connectionsOf("alice")).containsExactly(laptop);
        assertThat(registry.userCount()).isEqualTo(1);

        assertThat(registry.unregister(laptop)).isTrue();
        assertThat(registry.connectionsOf("alice")).isEmpty();
        assertThat(registry.connection("alice", "laptop")).isNull();
        assertThat(registry.size()).isZero();
        assertThat(registry.userCount()).as("user entry removed with the last device").isZero();
    }

    @Test
    void unregister_returnsFalse_whenNeverRegistered() {
        assertThat(registry.unregister(connection("alice", "phone"))).isFalse();
        assertThat(registry.size()).isZero();
    }

    @Test
    void forEach_visitsEveryConnection_whenSeveralRegistered() {
        registry.register(connection("alice", "phone"));
        registry.register(connection("alice", "laptop"));
        registry.register(connection("bob", "phone"));
        List<Connection> visited = new ArrayList<>();

        registry.forEach(visited::add);

        assertThat(visited).hasSize(3);
    }

    @Test
    void registerAndUnregister_leaveRegistryEmpty_whenRunConcurrently() throws Exception {
        List<Connection> connections = new ArrayList<>(CONNECTIONS);
        for (int i = 0; i < CONNECTIONS; i++) {
            connections.add(connection("user-" + (i % USERS), "device-" + i));
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS);
        try {
            runConcurrently(executor, connections, connection -> registry.register(connection) == null);
            assertThat(registry.size()).as("connections after concurrent registration").isEqualTo(CONNECTIONS);
            assertThat(registry.userCount()).as("users after concurrent registration").isEqualTo(USERS);
            int visited = 0;
            for (int user = 0; user < USERS; user++) {
                visited += registry.connectionsOf("user-" + user).size();
            }
            assertThat(visited).as("connections reachable through connectionsOf").isEqualTo(CONNECTIONS);

            runConcurrently(executor, connections, registry::unregister);
        } finally {
            executor.shutdownNow();
        }
        assertThat(registry.size()).as("connections after concurrent unregistration").isZero();
        assertThat(registry.userCount()).as("users after concurrent unregistration").isZero();
    }

    @Test
    void registerThenUnregister_leaveRegistryEmpty_whenInterleavedAcrossThreads() throws Exception {
        List<Connection> connections = new ArrayList<>(CONNECTIONS);
        for (int i = 0; i < CONNECTIONS; i++) {
            connections.add(connection("user-" + (i % USERS), "device-" + i));
        }
        ExecutorService executor = Executors.newFixedThreadPool(THREADS);
        try {
            runConcurrently(executor, connections,
                    connection -> registry.register(connection) == null && registry.unregister(connection));
        } finally {
            executor.shutdownNow();
        }
        assertThat(registry.size()).as("connections left").isZero();
        assertThat(registry.userCount()).as("users left").isZero();
    }

    /** Splits {@code connections} over the threads, starts them together, and requires every call to return true. */
    private static void runConcurrently(ExecutorService executor, List<Connection> connections,
                                        java.util.function.Predicate<Connection> action) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int thread = 0; thread < THREADS; thread++) {
            int first = thread;
            Callable<Integer> task = () -> {
                start.await();
                int failures = 0;
                for (int i = first; i < connections.size(); i += THREADS) {
                    if (!action.test(connections.get(i))) {
                        failures++;
                    }
                }
                return failures;
            };
            results.add(executor.submit(task));
        }
        start.countDown();
        int failures = 0;
        for (Future<Integer> result : results) {
            failures += result.get(60, TimeUnit.SECONDS);
        }
        assertThat(failures).as("registry calls that returned an unexpected result").isZero();
    }

    private Connection connection(String userId, String deviceId) {
        return new Connection(CONNECTION_IDS, new Principal(userId, deviceId, 0), channel, METRICS, false);
    }
}
