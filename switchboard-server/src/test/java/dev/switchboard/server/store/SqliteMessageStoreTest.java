package dev.switchboard.server.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link MessageStoreContract} on the embedded SQLite store. */
class SqliteMessageStoreTest extends MessageStoreContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected JdbcDatabase openDatabase() {
        return TestDatabase.sqlite(dataDirectory);
    }
}
