package dev.switchboard.server.store;

/** {@link SharedFileStoreContract} on a fresh Postgres database per test (real server on 127.0.0.1). */
class PostgresFileStoreIT extends SharedFileStoreContract {
    private final TestDatabase.OnDemand database = new TestDatabase.OnDemand(TestDatabase::postgres);

    @Override
    protected JdbcDatabase openDatabase() {
        return database.open();
    }

    @Override
    protected void releaseDatabase() {
        database.release();
    }
}
