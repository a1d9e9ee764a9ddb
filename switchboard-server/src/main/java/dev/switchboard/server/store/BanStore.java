package dev.switchboard.server.store;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/** Persistent bans. Same threading and failure contract as {@link MessageStore}. */
public interface BanStore {

    /** Bans (or re-bans, replacing reason and end) {@code ban.userId()}. */
    CompletableFuture<Ban> ban(Ban ban);

    /** Lifts the ban; completes with whether there was one still in force. */
    CompletableFuture<Boolean> unban(String userId);

    /** Every ban that has not ended, ordered by user id. */
    CompletableFuture<List<Ban>> activeBans();
}
