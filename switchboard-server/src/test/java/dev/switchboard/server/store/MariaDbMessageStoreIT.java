package dev.switchboard.server.store;

/** {@link MessageStoreContract} on a fresh MariaDb database per test (real server on 127.0.0.1). */
class MariaDbMessageStoreIT extends MessageStoreContract {
    private TestDatabase testDatabase;

    @Override
    protected JdbcDatabase openDatabase() {
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
