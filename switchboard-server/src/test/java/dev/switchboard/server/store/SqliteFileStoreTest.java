package dev.switchboard.server.store;

import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/** {@link FileStoreContract} on the embedded SQLite store. */
class SqliteFileStoreTest extends FileStoreContract {
    @TempDir
    Path dataDirectory;

    @Override
    protected JdbcDatabase openDatabase() {
        return TestDatabase.sqlite(dataDirectory);
    }
}
