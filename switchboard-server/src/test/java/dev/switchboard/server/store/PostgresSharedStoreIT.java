package dev.switchboard.server.store;

/** {@link SharedStoreContract} on Postgres: several writers on one fresh database. */
class PostgresSharedStoreIT extends SharedStoreContract {
    private TestDatabase testDatabase;

    @Override
    protected JdbcDatabase openNode() {
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
