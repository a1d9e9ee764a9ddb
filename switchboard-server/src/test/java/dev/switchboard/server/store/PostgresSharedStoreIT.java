package dev.switchboard.server.store;

/** {@link SharedStoreContract} on Postgres: several writers on one fresh database. */
class PostgresSharedStoreIT extends SharedStoreContract {
    private final TestDatabase.OnDemand database = new TestDatabase.OnDemand(TestDatabase::postgres);

    @Override
    protected JdbcDatabase openNode() {
        return database.open();
    }

    @Override
    protected void releaseDatabase() {
        database.release();
    }
}
