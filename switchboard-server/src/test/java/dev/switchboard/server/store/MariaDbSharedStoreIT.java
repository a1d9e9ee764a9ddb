package dev.switchboard.server.store;

/** {@link SharedStoreContract} on MariaDb: several writers on one fresh database. */
class MariaDbSharedStoreIT extends SharedStoreContract {
    private TestDatabase testDatabase;

    @Override
    protected JdbcDatabase openNode() {
        if (testDatabase == null) {
            testDatabase = TestDatabase.mariadb();
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
