package dev.switchboard.server.store;

/** {@link MessageStoreContract} on a fresh Postgres database per test (real server on 127.0.0.1). */
class PostgresMessageStoreIT extends MessageStoreContract {
    private TestDatabase testDatabase;

    @Override
    protected JdbcDatabase openDatabase() {
        if (testDatabase == null) {
            testDatabase = TestDatabase.postgres();
        }
        return testDatabase.open();
    }

    @Override
    protected void releaseDatabase() {
        if (testDatabase != null) {
            testDatabase.close();
            testDatabase = null;
        }
    }
}
