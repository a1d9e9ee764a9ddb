package dev.switchboard.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.testing.RedisProcess;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link RedisScript} against a private redis-server (a fresh one per test, so its script cache and
 * its command counters are this test's alone): the script's text goes to Redis once, later calls
 * send only its SHA-1, and a Redis that lost its scripts gets the text again on the next call.
 */
class RedisScriptIT {
    private static final RedisScript INCREMENT = new RedisScript("return redis.call('incrby', KEYS[1], ARGV[1])");
    private static final RedisScript FAILING = new RedisScript("return redis.error_reply('refused by the script')");

    @TempDir
    Path directory;
    private RedisProcess server;
    private RedisConnections redis;
    private RedisClient adminClient;
    private RedisCommands<String, String> admin;

    @BeforeEach
    void startRedis() throws Exception {
        server = RedisProcess.start(directory);
        redis = new RedisConnections(server.uri(), new ServerMetrics());
        adminClient = RedisClient.create(server.uri());
        StatefulRedisConnection<String, String> connection = adminClient.connect();
        admin = connection.sync();
    }

    @AfterEach
    void stopRedis() {
        if (adminClient != null) {
            adminClient.shutdown();
        }
        if (redis != null) {
            redis.close();
        }
        if (server != null) {
            server.close();
        }
    }

    @Test
    void theScriptTextGoesToRedisOnce_laterCallsSendItsSha() throws Exception {
        for (int i = 1; i <= 5; i++) {
            assertThat(increment("counter", 10)).isEqualTo(10L * i);
        }

        assertThat(admin.scriptExists(INCREMENT.sha1())).containsExactly(true);
        assertThat(calls("eval")).as("EVAL: only the first call, which Redis answered NOSCRIPT by SHA").isEqualTo(1);
        assertThat(calls("evalsha")).isEqualTo(5);
    }

    @Test
    void afterRedisLostItsScripts_theNextCallLoadsTheScriptAgain() throws Exception {
        assertThat(increment("counter", 1)).isEqualTo(1L);
        admin.scriptFlush();
        assertThat(admin.scriptExists(INCREMENT.sha1())).containsExactly(false);

        assertThat(increment("counter", 1)).isEqualTo(2L);
        assertThat(increment("counter", 1)).isEqualTo(3L);

        assertThat(admin.scriptExists(INCREMENT.sha1())).containsExactly(true);
        assertThat(calls("eval")).isEqualTo(2);
    }

    @Test
    void callsInFlightWhenRedisLostTheScript_allComplete_eachOnce() throws Exception {
        assertThat(increment("counter", 1)).isEqualTo(1L);
        admin.scriptFlush();

        List<CompletableFuture<Long>> calls = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            calls.add(INCREMENT.run(redis, ScriptOutputType.INTEGER, new String[] {"counter"},
                    "1".getBytes(StandardCharsets.UTF_8)));
        }
        CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).get(10, TimeUnit.SECONDS);

        assertThat(calls).extracting(CompletableFuture::join).doesNotHaveDuplicates().hasSize(50);
        assertThat(admin.get("counter")).as("every call ran exactly once").isEqualTo("51");
        assertThat(admin.scriptExists(INCREMENT.sha1())).containsExactly(true);
    }

    @Test
    void aFailingScriptFailsTheCall_andIsNotSentAgain() throws Exception {
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> FAILING.<Long>run(redis, ScriptOutputType.INTEGER, new String[0]).get(5, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseExactlyInstanceOf(RedisCommandExecutionException.class)
                    .hasMessageContaining("refused by the script");
        }

        assertThat(calls("eval")).as("loaded once, by the first call").isEqualTo(1);
        assertThat(calls("evalsha")).isEqualTo(3);
    }

    @Test
    void theShaIsTheOneRedisNamesTheScriptBy() {
        assertThat(admin.scriptLoad("return redis.call('incrby', KEYS[1], ARGV[1])")).isEqualTo(INCREMENT.sha1());
    }

    private long increment(String key, int by) throws Exception {
        return INCREMENT.<Long>run(redis, ScriptOutputType.INTEGER, new String[] {key},
                Integer.toString(by).getBytes(StandardCharsets.UTF_8)).get(5, TimeUnit.SECONDS);
    }

    /** Calls of {@code command} since this Redis started, failed ones included ({@code INFO commandstats}). */
    private long calls(String command) {
        Matcher matcher = Pattern.compile("cmdstat_" + command + ":calls=(\\d+)").matcher(admin.info("commandstats"));
        return matcher.find() ? Long.parseLong(matcher.group(1)) : 0;
    }
}
