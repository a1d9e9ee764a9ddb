package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.TargetKind;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link MessageStoreContract} on a fresh Postgres database per test (real server on 127.0.0.1). */
class PostgresMessageStoreIT extends MessageStoreContract {
    private final TestDatabase.OnDemand database = new TestDatabase.OnDemand(TestDatabase::postgres);

    @Override
    protected JdbcDatabase openDatabase() {
        return database.open();
    }

    @Test
    void append_failsOnlyThePoisonedWrite_whenTheDatabaseRefusesOneInABatch() throws Exception {
        JdbcMessageStore store = new JdbcMessageStore(openDatabase());
        var before = store.append(new AppendRequest("ann", "d", TargetKind.USER, "ben", "ok-1", "1", 1L));
        // PostgreSQL TEXT cannot hold NUL: the database itself refuses this one write.
        var poisoned = store.append(new AppendRequest("ann", "d", TargetKind.USER, "cal", "bad", "\"\u0000\"", 1L));
        var after = store.append(new AppendRequest("ann", "d", TargetKind.USER, "ben", "ok-2", "2", 1L));

        assertThat(before.get(30, TimeUnit.SECONDS).duplicate()).isFalse();
        assertThat(after.get(30, TimeUnit.SECONDS).duplicate()).isFalse();
        assertThat(poisoned).failsWithin(30, TimeUnit.SECONDS);
        assertThat(store.readInbox("ben", 0, 10).get(30, TimeUnit.SECONDS).entries()).extracting(e -> e.message().clientId())
                .containsExactly("ok-1", "ok-2");
        assertThat(store.contactsOf("ben", 10).get(30, TimeUnit.SECONDS)).as("partners of the writes that committed")
                .containsExactly("ann");
        assertThat(store.contactsOf("cal", 10).get(30, TimeUnit.SECONDS)).as("no partner from the refused write").isEmpty();
        assertThat(store.isHealthy()).as("healthy again after the next good batch").isTrue();
        store.close();
    }

    @Override
    protected String url() {
        return database.url();
    }

    @Override
    protected void releaseDatabase() {
        database.release();
    }
}
