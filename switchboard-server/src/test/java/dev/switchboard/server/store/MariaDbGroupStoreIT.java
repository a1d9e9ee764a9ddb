package dev.switchboard.server.store;

/** {@link GroupStoreContract} on a fresh MariaDB database per test (real server on 127.0.0.1). */
class MariaDbGroupStoreIT extends GroupStoreContract {
    private final TestDatabase.OnDemand database = new TestDatabase.OnDemand(TestDatabase::mariadb);

    @Override
    protected JdbcDatabase openDatabase() {
        return database.open();
    }

    @Override
    protected void releaseDatabase() {
        database.release();
    }
}
