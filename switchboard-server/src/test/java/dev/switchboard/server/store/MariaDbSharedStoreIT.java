package dev.switchboard.server.store;

/** {@link SharedStoreContract} on MariaDB: several writers on one fresh database. */
class MariaDbSharedStoreIT extends SharedStoreContract {
    private final TestDatabase.OnDemand database = new TestDatabase.OnDemand(TestDatabase::mariadb);

    @Override
    protected JdbcDatabase openNode() {
        return database.open();
    }

    @Override
    protected void releaseDatabase() {
        database.release();
    }
}
