package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.TargetKind;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What a cluster adds to the store contract: several nodes (each with its own writer) append to the
 * same database at once. Every inbox must still be gap-free with unique seqs, and idempotency must
 * hold across nodes. Runs on the databases a cluster uses (MariaDB, PostgreSQL), not on SQLite.
 */
abstract class SharedStoreContract {
    private static final int NODES = 3;
    private static final int MESSAGES_PER_NODE = 400;
    private static final List<String> USERS = List.of("ann", "ben", "cat", "dan");

    private final List<JdbcDatabase> nodes = new ArrayList<>();

    /** Opens one more pool (one more "node") on the same, initially empty, database. */
    protected abstract JdbcDatabase openNode();

    /** Called after every node is closed. */
    protected abstract void releaseDatabase();

    @BeforeEach
    void openNodes() {
        for (int i = 0; i < NODES; i++) {
            nodes.add(openNode());
        }
    }

    @AfterEach
    void closeNodes() {
        nodes.forEach(JdbcDatabase::close);
        releaseDatabase();
    }

    @Test
    void concurrentNodes_keepEveryInboxGapFreeAndUnique() throws Exception {
        new JdbcGroupStore(nodes.get(0)).create("all", "all", "ann", USERS, 10).get(30, TimeUnit.SECONDS);
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < MESSAGES_PER_NODE; i++) {
            for (int node = 0; node < NODES; node++) {
                MessageStore store = new JdbcMessageStore(nodes.get(node));
                String sender = USERS.get((i + node) % USERS.size());
                boolean toGroup = i % 5 == 0;
                String target = toGroup ? "all" : USERS.get((i + node + 1) % USERS.size());
                appends.add(store.append(new AppendRequest(sender, "node-" + node,
                        toGroup ? TargetKind.GROUP : TargetKind.USER, target, "n" + node + "-" + i, "{}", 1L)));
            }
        }
        CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

        JdbcMessageStore reader = new JdbcMessageStore(nodes.get(0));
        for (String user : USERS) {
            InboxPage page = reader.readInbox(user, 0, 100_000).get(30, TimeUnit.SECONDS);
            List<Long> seqs = page.entries().stream().map(InboxEntry::seq).toList();
            assertThat(seqs).as("%s's inbox: 1..n without gaps or repeats", user)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, seqs.size()).boxed().toList());
            assertThat(page.lastSeq()).isEqualTo(seqs.size());
            Set<Long> messageIds = new HashSet<>();
            page.entries().forEach(entry -> messageIds.add(entry.message().id()));
            assertThat(messageIds).as("one entry per message in %s's inbox", user).hasSize(seqs.size());
        }
    }

    @Test
    void sameClientIdOnTwoNodes_storesOneMessage() throws Exception {
        List<CompletableFuture<AppendResult>> appends = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            for (JdbcDatabase node : nodes) {
                appends.add(new JdbcMessageStore(node).append(
                        new AppendRequest("ann", "phone", TargetKind.USER, "ben", "same-" + i, "{}", 1L)));
            }
        }
        CompletableFuture.allOf(appends.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);

        for (int i = 0; i < 50; i++) {
            Set<Long> ids = new HashSet<>();
            int originals = 0;
            for (int node = 0; node < NODES; node++) {
                AppendResult result = appends.get(i * NODES + node).join();
                ids.add(result.message().id());
                originals += result.duplicate() ? 0 : 1;
            }
            assertThat(ids).as("one message id for client id same-%d", i).hasSize(1);
            assertThat(originals).as("exactly one original for same-%d", i).isEqualTo(1);
        }
        assertThat(new JdbcMessageStore(nodes.get(0)).readInbox("ben", 0, 1000).get(30, TimeUnit.SECONDS).entries())
                .hasSize(50);
    }
}
