package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link MessageStoreContract} on the embedded SQLite store. */
class SqliteMessageStoreTest extends MessageStoreContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected JdbcDatabase openDatabase() {
        return TestDatabase.sqlite(dataDirectory);
    }

    @Override
    protected String url() {
        return "jdbc:sqlite:" + dataDirectory.resolve("switchboard.db").toAbsolutePath();
    }

    @Test
    void open_fails_whenAnotherStoreHoldsTheDataDirectory() {
        assertThatThrownBy(() -> TestDatabase.sqlite(dataDirectory))
                .isInstanceOf(StoreException.class).hasMessageContaining("in use by another Switchboard process");
    }
}
