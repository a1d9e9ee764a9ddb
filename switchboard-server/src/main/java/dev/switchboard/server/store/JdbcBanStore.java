package dev.switchboard.server.store;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/** {@link BanStore} on SQL; writes go through the store's single writer like everything else. */
public final class JdbcBanStore implements BanStore {
    private static final String DELETE = "DELETE FROM user_ban WHERE user_id = ?";
    private static final String DELETE_ACTIVE = "DELETE FROM user_ban WHERE user_id = ? AND (until_ms = 0 OR until_ms > ?)";
    private static final String INSERT = "INSERT INTO user_ban (user_id, reason, until_ms, created_at) VALUES (?, ?, ?, ?)";
    private static final String SELECT_ACTIVE =
            "SELECT user_id, reason, until_ms FROM user_ban WHERE until_ms = 0 OR until_ms > ? ORDER BY user_id";

    private final JdbcDatabase database;

    public JdbcBanStore(JdbcDatabase database) {
        this.database = database;
    }

    @Override
    public CompletableFuture<Ban> ban(Ban ban) {
        return database.writer().submit(context -> {
            PreparedStatement delete = context.statement(DELETE);
            delete.setString(1, ban.userId());
            delete.executeUpdate();
            PreparedStatement insert = context.statement(INSERT);
            insert.setString(1, ban.userId());
            insert.setString(2, ban.reason());
            insert.setLong(3, ban.untilMillis());
            insert.setLong(4, System.currentTimeMillis());
            insert.executeUpdate();
            return ban;
        });
    }

    @Override
    public CompletableFuture<Boolean> unban(String userId) {
        return database.writer().submit(context -> {
            PreparedStatement deleteActive = context.statement(DELETE_ACTIVE);
            deleteActive.setString(1, userId);
            deleteActive.setLong(2, System.currentTimeMillis());
            boolean wasBanned = deleteActive.executeUpdate() > 0;
            PreparedStatement deleteEnded = context.statement(DELETE); // an ended ban's row, if any
            deleteEnded.setString(1, userId);
            deleteEnded.executeUpdate();
            return wasBanned;
        });
    }

    @Override
    public CompletableFuture<List<Ban>> activeBans() {
        return database.read(context -> {
            List<Ban> bans = new ArrayList<>();
            PreparedStatement select = context.statement(SELECT_ACTIVE);
            select.setLong(1, System.currentTimeMillis());
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    bans.add(new Ban(rows.getString(1), rows.getString(2), rows.getLong(3)));
                }
            }
            return bans;
        });
    }
}
