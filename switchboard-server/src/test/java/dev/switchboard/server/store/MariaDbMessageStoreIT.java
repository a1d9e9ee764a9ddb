package dev.switchboard.server.store;

/** {@link MessageStoreContract} on a fresh MariaDB database per test (real server on 127.0.0.1). */
class MariaDbMessageStoreIT extends MessageStoreContract {
    private final TestDatabase.OnDemand database = new TestDatabase.OnDemand(TestDatabase::mariadb);

    @Override
    protected JdbcDatabase openDatabase() {
        return database.open();
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
