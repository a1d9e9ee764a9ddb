package dev.switchboard.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import dev.switchboard.server.store.DeviceStateCache.CursorKey;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link DeviceStateCache} alone: what a read may cache, and how commits move what is cached. */
class DeviceStateCacheTest {
    private final DeviceStateCache cache = new DeviceStateCache(1000);

    @Test
    void get_isNull_untilARead_fillsIt() {
        assertThat(cache.get("alice", "phone")).isNull();

        read("alice", "phone", new DeviceState(2, 5));

        assertThat(cache.get("alice", "phone")).isEqualTo(new DeviceState(2, 5));
        assertThat(cache.get("alice", "laptop")).as("another device of the user").isNull();
        assertThat(cache.get("bob", "phone")).isNull();
    }

    @Test
    void readThrough_cachesNothing_whenACommitLandsDuringTheRead() throws Exception {
        DeviceState read = cache.readThrough("alice", "phone", () -> {
            cache.committed(Map.of("alice", 6L), Map.of()); // the read's snapshot may predate this commit
            return new DeviceState(2, 5);
        });

        assertThat(read).as("the read's own answer").isEqualTo(new DeviceState(2, 5));
        assertThat(cache.get("alice", "phone")).isNull();
        read("alice", "phone", new DeviceState(2, 6));
        assertThat(cache.get("alice", "phone")).isEqualTo(new DeviceState(2, 6));
    }

    @Test
    void committed_movesAStateCachedBeforeIt() {
        read("alice", "phone", new DeviceState(2, 5)); // read before the commit landed

        cache.committed(Map.of("alice", 7L), Map.of(new CursorKey("alice", "phone"), 4L));

        assertThat(cache.get("alice", "phone")).isEqualTo(new DeviceState(4, 7));
    }

    @Test
    void committed_keepsTheLargerValue_andIgnoresUsersNotCached() {
        read("alice", "phone", new DeviceState(4, 9));

        cache.committed(Map.of("alice", 8L, "bob", 3L), Map.of(new CursorKey("alice", "phone"), 2L,
                new CursorKey("alice", "laptop"), 9L, new CursorKey("bob", "phone"), 1L));

        assertThat(cache.get("alice", "phone")).isEqualTo(new DeviceState(4, 9));
        assertThat(cache.get("alice", "laptop")).as("a device not cached is read next time").isNull();
        assertThat(cache.get("bob", "phone")).isNull();
        assertThat(cache.size()).isEqualTo(1);
    }

    @Test
    void devicesOfOneUser_shareTheNewestSeq_andKeepTheirOwnCursors() {
        read("alice", "phone", new DeviceState(3, 5));
        read("alice", "laptop", new DeviceState(1, 5));
        read("alice", "tablet", new DeviceState(0, 5));

        cache.committed(Map.of("alice", 6L), Map.of(new CursorKey("alice", "laptop"), 5L,
                new CursorKey("alice", "tablet"), 6L));

        assertThat(cache.get("alice", "phone")).isEqualTo(new DeviceState(3, 6));
        assertThat(cache.get("alice", "laptop")).isEqualTo(new DeviceState(5, 6));
        assertThat(cache.get("alice", "tablet")).isEqualTo(new DeviceState(6, 6));
    }

    @Test
    void read_ofACachedDevice_neverMovesItBack() {
        read("alice", "phone", new DeviceState(3, 5));

        read("alice", "phone", new DeviceState(1, 4));

        assertThat(cache.get("alice", "phone")).isEqualTo(new DeviceState(3, 5));
    }

    @Test
    void aUser_keepsHisNewestDevices_upToTheLimit() {
        int devices = DeviceStateCache.MAX_DEVICES + 3;
        for (int i = 0; i < devices; i++) {
            read("alice", "device-" + i, new DeviceState(i, 20));
        }

        for (int i = 0; i < devices; i++) {
            DeviceState state = cache.get("alice", "device-" + i);
            if (i < devices - DeviceStateCache.MAX_DEVICES) {
                assertThat(state).as("device-%d, among the oldest", i).isNull();
            } else {
                assertThat(state).as("device-%d", i).isEqualTo(new DeviceState(i, 20));
            }
        }
    }

    @Test
    void users_stayWithinTheCapacity() {
        for (int i = 0; i < 5000; i++) {
            read("user-" + i, "phone", new DeviceState(0, i));
        }

        assertThat(cache.size()).isLessThanOrEqualTo(1000).isGreaterThan(900);
        int found = 0;
        for (int i = 0; i < 5000; i++) {
            DeviceState state = cache.get("user-" + i, "phone");
            if (state != null) {
                assertThat(state).isEqualTo(new DeviceState(0, i));
                found++;
            }
        }
        assertThat(found).as("users still cached").isEqualTo(cache.size());
    }

    @Test
    void clear_forgetsEverything_andReadsUnderWayCacheNothing() throws Exception {
        read("alice", "phone", new DeviceState(3, 5));

        cache.readThrough("bob", "phone", () -> {
            cache.clear();
            return new DeviceState(0, 1);
        });

        assertThat(cache.size()).isZero();
        assertThat(cache.get("alice", "phone")).isNull();
    }

    private void read(String userId, String deviceId, DeviceState state) {
        try {
            cache.readThrough(userId, deviceId, () -> state);
        } catch (java.sql.SQLException e) {
            throw new AssertionError(e);
        }
    }
}
