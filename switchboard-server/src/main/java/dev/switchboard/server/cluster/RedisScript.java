package dev.switchboard.server.cluster;

import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * A Lua script that the node runs by its SHA-1 ({@code EVALSHA}): a call carries 40 bytes instead of
 * the script's text, and Redis does not hash that text again on every call. A Redis that does not
 * hold the script (restarted, {@code SCRIPT FLUSH}ed, or a replica promoted by Sentinel that never saw
 * it) answers {@code NOSCRIPT}; that call is then sent once more with the whole script ({@code EVAL}),
 * which also loads it for the calls after it.
 *
 * <p>Order: a call answered {@code NOSCRIPT} runs later than it was sent, after calls sent behind it
 * that found the script (loaded meanwhile by another call of this node or of another node). Use it
 * only where that is harmless at the moment Redis has lost its scripts: a 1:1 delivery that overtakes
 * another is caught up from the store by sequence, and a history read has no order. A script whose
 * calls must run in the order they were sent (the topic publication, which numbers them) is sent
 * whole every time.
 *
 * <p>Errors other than {@code NOSCRIPT} (a failing script, scripting refused, a timeout) are not
 * retried: they complete the returned stage as they are.
 */
final class RedisScript {
    private final String source;
    private final String sha1;

    RedisScript(String source) {
        this.source = source;
        this.sha1 = sha1Hex(source);
    }

    /** The script's SHA-1, as Redis names it (lower-case hex). */
    String sha1() {
        return sha1;
    }

    /** Runs the script on {@code redis}'s command connection; the call is timed in the Redis metrics, a retry included. */
    <T> CompletableFuture<T> run(RedisConnections redis, ScriptOutputType type, String[] keys, byte[]... arguments) {
        var commands = redis.async();
        CompletableFuture<T> bySha = commands.<T>evalsha(sha1, type, keys, arguments).toCompletableFuture();
        CompletableFuture<T> result = bySha.handle((reply, error) -> {
            if (error == null) {
                return CompletableFuture.completedFuture(reply);
            }
            if (unwrap(error) instanceof RedisNoScriptException) {
                return commands.<T>eval(source, type, keys, arguments).toCompletableFuture();
            }
            return CompletableFuture.<T>failedFuture(unwrap(error));
        }).thenCompose(Function.identity());
        return redis.timed(result);
    }

    private static Throwable unwrap(Throwable error) {
        return error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    }

    static String sha1Hex(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-1", e);
        }
    }
}
