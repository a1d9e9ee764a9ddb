package dev.switchboard.server.store;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Persistent groups and their membership. Same threading and failure contract as {@link MessageStore};
 * rejections carry {@code group_not_found}, {@code group_exists}, {@code group_full} or
 * {@code not_group_member}.
 */
public interface GroupStore {

    /** Creates a group whose members are {@code creator} plus {@code members}. Returns it with members. */
    CompletableFuture<GroupInfo> create(String groupId, String name, String creator, Collection<String> members, int maxMembers);

    /** Adds {@code userId}; joining twice is not an error. Returns the group with members. */
    CompletableFuture<GroupInfo> join(String groupId, String userId, int maxMembers);

    /** Removes {@code userId}, who must be a member. Returns the group with the remaining members. */
    CompletableFuture<GroupInfo> leave(String groupId, String userId);

    /** The group with its members; {@code requesterId} must be one of them, unless it is null (the server API). */
    CompletableFuture<GroupInfo> members(String groupId, String requesterId);

    /** Deletes the group and its membership (messages already in inboxes stay). Fails with {@code group_not_found}. */
    CompletableFuture<Void> delete(String groupId);

    /** The groups {@code userId} belongs to, without members, ordered by id. */
    CompletableFuture<List<GroupInfo>> groupsOf(String userId);
}
