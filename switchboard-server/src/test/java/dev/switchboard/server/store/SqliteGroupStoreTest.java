package dev.switchboard.server.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link GroupStoreContract} on the embedded SQLite store. */
class SqliteGroupStoreTest extends GroupStoreContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected JdbcDatabase openDatabase() {
        return TestDatabase.sqlite(dataDirectory);
    }
}
