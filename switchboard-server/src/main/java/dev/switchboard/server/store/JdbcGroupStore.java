package dev.switchboard.server.store;

import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.server.RequestRejectedException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;

/**
 * {@link GroupStore} on SQL. Membership changes go through the same writer as message appends, so a
 * group message and a concurrent join or leave are applied in one well-defined order.
 */
public final class JdbcGroupStore implements GroupStore {
    private static final String SELECT_GROUP = "SELECT name FROM chat_group WHERE id = ?";
    private static final String SELECT_MEMBERS = "SELECT user_id FROM group_member WHERE group_id = ? ORDER BY user_id";
    private static final String SELECT_MEMBER = "SELECT 1 FROM group_member WHERE group_id = ? AND user_id = ?";
    private static final String COUNT_MEMBERS = "SELECT COUNT(*) FROM group_member WHERE group_id = ?";
    private static final String INSERT_GROUP = "INSERT INTO chat_group (id, name, created_by, created_at) VALUES (?, ?, ?, ?)";
    private static final String INSERT_MEMBER = "INSERT INTO group_member (group_id, user_id, joined_at) VALUES (?, ?, ?)";
    private static final String DELETE_MEMBER = "DELETE FROM group_member WHERE group_id = ? AND user_id = ?";
    private static final String DELETE_MEMBERS = "DELETE FROM group_member WHERE group_id = ?";
    private static final String DELETE_GROUP = "DELETE FROM chat_group WHERE id = ?";
    private static final String SELECT_GROUPS_OF =
            "SELECT g.id, g.name FROM group_member m JOIN chat_group g ON g.id = m.group_id "
                    + "WHERE m.user_id = ? ORDER BY g.id";

    private final JdbcDatabase database;

    public JdbcGroupStore(JdbcDatabase database) {
        this.database = database;
    }

    @Override
    public CompletableFuture<GroupInfo> create(String groupId, String name, String creator,
                                               Collection<String> members, int maxMembers) {
        TreeSet<String> allMembers = new TreeSet<>(members);
        allMembers.add(creator);
        return database.writer().submit(context -> {
            if (groupName(context.connection(), groupId) != null) {
                throw new RequestRejectedException(ErrorCode.GROUP_EXISTS, "group " + groupId + " exists");
            }
            if (allMembers.size() > maxMembers) {
                throw new RequestRejectedException(ErrorCode.GROUP_FULL,
                        "a group has at most " + maxMembers + " members");
            }
            long now = System.currentTimeMillis();
            PreparedStatement insertGroup = context.statement(INSERT_GROUP);
            insertGroup.setString(1, groupId);
            insertGroup.setString(2, name);
            insertGroup.setString(3, creator);
            insertGroup.setLong(4, now);
            insertGroup.executeUpdate();
            PreparedStatement insertMember = context.statement(INSERT_MEMBER);
            for (String member : allMembers) {
                insertMember.setString(1, groupId);
                insertMember.setString(2, member);
                insertMember.setLong(3, now);
                insertMember.addBatch();
            }
            insertMember.executeBatch();
            context.groupChanged(groupId);
            return new GroupInfo(groupId, name, List.copyOf(allMembers));
        });
    }

    @Override
    public CompletableFuture<GroupInfo> join(String groupId, String userId, int maxMembers) {
        return database.writer().submit(context -> {
            Connection connection = context.connection();
            String name = requireGroup(connection, groupId);
            if (!isMember(context, groupId, userId)) {
                PreparedStatement count = context.statement(COUNT_MEMBERS);
                count.setString(1, groupId);
                try (ResultSet row = count.executeQuery()) {
                    row.next();
                    if (row.getLong(1) >= maxMembers) {
                        throw new RequestRejectedException(ErrorCode.GROUP_FULL,
                                "group " + groupId + " has " + maxMembers + " members, the maximum");
                    }
                }
                PreparedStatement insert = context.statement(INSERT_MEMBER);
                insert.setString(1, groupId);
                insert.setString(2, userId);
                insert.setLong(3, System.currentTimeMillis());
                insert.executeUpdate();
                context.groupChanged(groupId);
            }
            return new GroupInfo(groupId, name, members(connection, groupId));
        });
    }

    @Override
    public CompletableFuture<GroupInfo> leave(String groupId, String userId) {
        return database.writer().submit(context -> {
            Connection connection = context.connection();
            String name = requireGroup(connection, groupId);
            if (!isMember(context, groupId, userId)) {
                throw new RequestRejectedException(ErrorCode.NOT_GROUP_MEMBER, "not a member of group " + groupId);
            }
            PreparedStatement delete = context.statement(DELETE_MEMBER);
            delete.setString(1, groupId);
            delete.setString(2, userId);
            delete.executeUpdate();
            context.groupChanged(groupId);
            return new GroupInfo(groupId, name, members(connection, groupId));
        });
    }

    @Override
    public CompletableFuture<GroupInfo> members(String groupId, String requesterId) {
        return database.read(context -> {
            String name = requireGroup(context.connection(), groupId);
            List<String> members = members(context.connection(), groupId);
            if (requesterId != null && !members.contains(requesterId)) {
                throw new RequestRejectedException(ErrorCode.NOT_GROUP_MEMBER, "not a member of group " + groupId);
            }
            return new GroupInfo(groupId, name, members);
        });
    }

    @Override
    public CompletableFuture<Void> delete(String groupId) {
        return database.writer().submit(context -> {
            requireGroup(context.connection(), groupId);
            PreparedStatement members = context.statement(DELETE_MEMBERS);
            members.setString(1, groupId);
            members.executeUpdate();
            PreparedStatement group = context.statement(DELETE_GROUP);
            group.setString(1, groupId);
            group.executeUpdate();
            context.groupChanged(groupId);
            return null;
        });
    }

    @Override
    public CompletableFuture<List<GroupInfo>> groupsOf(String userId) {
        return database.read(context -> {
            List<GroupInfo> groups = new ArrayList<>();
            PreparedStatement select = context.statement(SELECT_GROUPS_OF);
            select.setString(1, userId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    groups.add(new GroupInfo(rows.getString(1), rows.getString(2), List.of()));
                }
            }
            return groups;
        });
    }

    private static String requireGroup(Connection connection, String groupId) throws SQLException {
        String name = groupName(connection, groupId);
        if (name == null) {
            throw new RequestRejectedException(ErrorCode.GROUP_NOT_FOUND, "no group " + groupId);
        }
        return name;
    }

    private static String groupName(Connection connection, String groupId) throws SQLException {
        try (PreparedStatement select = connection.prepareStatement(SELECT_GROUP)) {
            select.setString(1, groupId);
            try (ResultSet row = select.executeQuery()) {
                return row.next() ? row.getString(1) : null;
            }
        }
    }

    private static boolean isMember(WriteContext context, String groupId, String userId) throws SQLException {
        PreparedStatement select = context.statement(SELECT_MEMBER);
        select.setString(1, groupId);
        select.setString(2, userId);
        try (ResultSet row = select.executeQuery()) {
            return row.next();
        }
    }

    private static List<String> members(Connection connection, String groupId) throws SQLException {
        List<String> members = new ArrayList<>();
        try (PreparedStatement select = connection.prepareStatement(SELECT_MEMBERS)) {
            select.setString(1, groupId);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    members.add(rows.getString(1));
                }
            }
        }
        return members;
    }
}
