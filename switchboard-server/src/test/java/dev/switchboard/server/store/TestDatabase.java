package dev.switchboard.server.store;

import dev.switchboard.server.config.ConfigLoader;
import dev.switchboard.server.config.ServerConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Assumptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A database of its own for one test, on the real local servers (STACK.md): created empty, named
 * after this JVM's run id so parallel or leftover runs never collide, and dropped afterwards.
 * A server that cannot be reached fails the test under {@code CI=true}; elsewhere the test is
 * skipped with a loud message.
 */
public final class TestDatabase implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(TestDatabase.class);
    private static final String RUN_ID = UUID.randomUUID().toString().substring(0, 8);
    private static final AtomicInteger COUNTER = new AtomicInteger();
    private static final String MARIADB_SERVER = "jdbc:mariadb://127.0.0.1:3306/";
    private static final String POSTGRES_SERVER = "jdbc:postgresql://127.0.0.1:5432/";

    private final String adminUrl;
    private final String url;
    private final String name;

    private TestDatabase(String adminUrl, String url, String name) {
        this.adminUrl = adminUrl;
        this.url = url;
        this.name = name;
    }

    static JdbcDatabase sqlite(Path dataDirectory) {
        return JdbcDatabase.open(config("").store(), dataDirectory);
    }

    /** An embedded store whose background checkpoint runs only when the test calls {@link JdbcDatabase#runCheckpointRound}. */
    static JdbcDatabase sqliteWithCheckpointsByHand(Path dataDirectory) {
        return JdbcDatabase.open(config("").store(), dataDirectory, 0);
    }

    /**
     * Blocks {@code database}'s writer with a task that waits for the returned latch (at most
     * {@code timeoutSeconds}), so that the writes submitted meanwhile form one batch.
     */
    static CountDownLatch holdWriter(JdbcDatabase database, long timeoutSeconds) throws InterruptedException {
        CountDownLatch holding = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        database.writer().submit(context -> {
            holding.countDown();
            try {
                release.await(timeoutSeconds, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        });
        if (!holding.await(timeoutSeconds, TimeUnit.SECONDS)) {
            throw new IllegalStateException("the writer did not take the holding task");
        }
        return release;
    }

    public static TestDatabase mariadb() {
        String name = newName();
        return create(MARIADB_SERVER + "?user=root", MARIADB_SERVER + name + "?user=root", name, "MariaDB on 127.0.0.1:3306");
    }

    public static TestDatabase postgres() {
        String name = newName();
        return create(POSTGRES_SERVER + "postgres?user=root", POSTGRES_SERVER + name + "?user=root", name,
                "PostgreSQL on 127.0.0.1:5432");
    }

    /** A database created on first use and dropped by {@link #release()}: what the contract subclasses hold. */
    public static final class OnDemand {
        private final Supplier<TestDatabase> factory;
        private TestDatabase database;

        public OnDemand(Supplier<TestDatabase> factory) {
            this.factory = factory;
        }

        /** A new pool on the database, creating the database on the first call. */
        public JdbcDatabase open() {
            if (database == null) {
                database = factory.get();
            }
            return database.open();
        }

        /** The url of the database created by the first {@link #open()}. */
        public String url() {
            if (database == null) {
                throw new IllegalStateException("no database yet: open() creates it");
            }
            return database.url();
        }

        public void release() {
            if (database != null) {
                database.close();
                database = null;
            }
        }
    }

    /** A new pool on this database (the same data every time). */
    public JdbcDatabase open() {
        return JdbcDatabase.open(config(url).store(), Path.of("unused"));
    }

    public String url() {
        return url;
    }

    @Override
    public void close() {
        try (Connection connection = DriverManager.getConnection(adminUrl); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS " + name);
        } catch (SQLException e) {
            log.atWarn().setMessage("could not drop test database").addKeyValue("database", name).setCause(e).log();
        }
    }

    private static TestDatabase create(String adminUrl, String url, String name, String server) {
        try (Connection connection = DriverManager.getConnection(adminUrl); Statement statement = connection.createStatement()) {
            statement.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            String message = server + " is not reachable (" + e.getMessage() + ")";
            if ("true".equals(System.getenv("CI"))) {
                throw new IllegalStateException(message + ": integration tests must not skip under CI=true", e);
            }
            log.error("!!!!!!!! SKIPPING integration test: {} — start it as in shared/STACK.md !!!!!!!!", message);
            Assumptions.abort(message);
        }
        return new TestDatabase(adminUrl, url, name);
    }

    private static String newName() {
        return "switchboard_test_" + RUN_ID + "_" + COUNTER.incrementAndGet();
    }

    private static ServerConfig config(String url) {
        return new ConfigLoader().load(null, Map.of(), Map.of("store.url", url));
    }
}
