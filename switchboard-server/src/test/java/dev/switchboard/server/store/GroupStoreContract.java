package dev.switchboard.server.store;

import static dev.switchboard.server.store.MessageStoreContract.assertRejected;
import static dev.switchboard.server.store.MessageStoreContract.await;
import static dev.switchboard.server.store.MessageStoreContract.failureOf;
import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.protocol.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The {@link GroupStore} contract, run against SQLite, MariaDB and PostgreSQL. Each test starts empty. */
abstract class GroupStoreContract {
    private static final int MAX_MEMBERS = 10;

    /** Opens the database under test: empty at a test's first call, the same data on later calls. */
    protected abstract JdbcDatabase openDatabase();

    private JdbcDatabase database;
    private JdbcGroupStore groups;

    @BeforeEach
    void open() {
        database = openDatabase();
        groups = new JdbcGroupStore(database);
    }

    @AfterEach
    void close() {
        database.close();
        releaseDatabase();
    }

    /** Called after the store is closed: drop whatever {@link #openDatabase()} created. */
    protected void releaseDatabase() {
    }

    @Test
    void create_includesCreatorAndSortsMembers_whenGroupIsNew() throws Exception {
        GroupInfo created = await(groups.create("team", "The Team", "carol", List.of("bob", "alice", "carol"), MAX_MEMBERS));

        assertThat(created).isEqualTo(new GroupInfo("team", "The Team", List.of("alice", "bob", "carol")));
        assertThat(await(groups.members("team", "carol"))).as("members as stored").isEqualTo(created);
    }

    @Test
    void create_makesCreatorOnlyMember_whenNoMembersGiven() throws Exception {
        GroupInfo created = await(groups.create("solo", "Solo", "alice", List.of(), MAX_MEMBERS));

        assertThat(created.members()).containsExactly("alice");
    }

    @Test
    void create_rejectsWithGroupExists_whenIdTaken() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob"), MAX_MEMBERS));

        assertRejected(failureOf(groups.create("team", "Other", "mallory", List.of(), MAX_MEMBERS)), ErrorCode.GROUP_EXISTS);
        assertThat(await(groups.members("team", "alice")))
                .as("the existing group is unchanged").isEqualTo(new GroupInfo("team", "Team", List.of("alice", "bob")));
    }

    @Test
    void create_rejectsWithGroupFullAndCreatesNothing_whenMembersExceedMaximum() throws Exception {
        assertRejected(failureOf(groups.create("big", "Big", "alice", List.of("bob", "carol"), 2)), ErrorCode.GROUP_FULL);

        assertRejected(failureOf(groups.members("big", "alice")), ErrorCode.GROUP_NOT_FOUND);
        assertThat(await(groups.groupsOf("alice"))).isEmpty();
    }

    @Test
    void create_accepts_whenMembersEqualMaximum() throws Exception {
        GroupInfo created = await(groups.create("pair", "Pair", "alice", List.of("bob"), 2));

        assertThat(created.members()).containsExactly("alice", "bob");
    }

    @Test
    void join_addsMemberOnce_whenJoiningTwice() throws Exception {
        await(groups.create("team", "Team", "alice", List.of(), MAX_MEMBERS));

        GroupInfo joined = await(groups.join("team", "bob", MAX_MEMBERS));
        GroupInfo again = await(groups.join("team", "bob", MAX_MEMBERS));

        assertThat(joined.members()).containsExactly("alice", "bob");
        assertThat(again).as("joining again is not an error and changes nothing").isEqualTo(joined);
        assertThat(joined.name()).isEqualTo("Team");
    }

    @Test
    void join_rejectsWithGroupFull_whenGroupAtMaximum() throws Exception {
        await(groups.create("pair", "Pair", "alice", List.of("bob"), 2));

        assertRejected(failureOf(groups.join("pair", "carol", 2)), ErrorCode.GROUP_FULL);
        assertThat(await(groups.members("pair", "alice")).members()).containsExactly("alice", "bob");
        assertThat(await(groups.join("pair", "bob", 2)).members())
                .as("an existing member re-joining a full group").containsExactly("alice", "bob");
    }

    @Test
    void leave_removesMember_whenMember() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob", "carol"), MAX_MEMBERS));

        GroupInfo left = await(groups.leave("team", "bob"));

        assertThat(left.members()).containsExactly("alice", "carol");
        assertThat(await(groups.groupsOf("bob"))).isEmpty();
    }

    @Test
    void leave_rejectsWithNotGroupMember_whenNotMember() throws Exception {
        await(groups.create("team", "Team", "alice", List.of(), MAX_MEMBERS));

        assertRejected(failureOf(groups.leave("team", "bob")), ErrorCode.NOT_GROUP_MEMBER);
    }

    @Test
    void members_rejectsWithNotGroupMember_whenRequesterNotMember() throws Exception {
        await(groups.create("team", "Team", "alice", List.of("bob"), MAX_MEMBERS));

        assertRejected(failureOf(groups.members("team", "mallory")), ErrorCode.NOT_GROUP_MEMBER);
    }

    @Test
    void groupsOf_returnsGroupsOrderedByIdWithoutMembers_whenUserInSeveral() throws Exception {
        await(groups.create("zeta", "Zeta", "alice", List.of(), MAX_MEMBERS));
        await(groups.create("alpha", "Alpha", "bob", List.of("alice"), MAX_MEMBERS));
        await(groups.create("mid", "Mid", "alice", List.of("bob"), MAX_MEMBERS));
        await(groups.create("other", "Other", "bob", List.of(), MAX_MEMBERS));

        assertThat(await(groups.groupsOf("alice"))).containsExactly(
                new GroupInfo("alpha", "Alpha", List.of()),
                new GroupInfo("mid", "Mid", List.of()),
                new GroupInfo("zeta", "Zeta", List.of()));
        assertThat(await(groups.groupsOf("nobody"))).isEmpty();
    }

    @Test
    void operations_rejectWithGroupNotFound_whenGroupUnknown() throws Exception {
        assertRejected(failureOf(groups.join("nowhere", "alice", MAX_MEMBERS)), ErrorCode.GROUP_NOT_FOUND);
        assertRejected(failureOf(groups.leave("nowhere", "alice")), ErrorCode.GROUP_NOT_FOUND);
        assertRejected(failureOf(groups.members("nowhere", "alice")), ErrorCode.GROUP_NOT_FOUND);
    }
}
