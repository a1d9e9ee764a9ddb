package dev.switchboard.server.registry;

import java.security.SecureRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Connection ids: unique across the cluster and across restarts, short, and cheap to make. Each is this
 * process's random prefix plus a counter, e.g. {@code k3f9q2x-1b7}. A connection keeps only its number
 * ({@link #next}); the text is made by {@link #format} when it is needed (the welcome, logs, kicks).
 *
 * @implNote A random UUID per connection cost a {@code SecureRandom} draw on every handshake and 80 bytes
 * of heap on every idle connection; the id as a string still cost about 56 bytes, the number costs 8.
 * The prefix has 36^7 (about 7.8e10) values, drawn once per process, so two processes sharing one is
 * negligible.
 */
public final class ConnectionIds {
    private static final int PREFIX_LENGTH = 7;

    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    public ConnectionIds() {
        SecureRandom random = new SecureRandom();
        StringBuilder builder = new StringBuilder(PREFIX_LENGTH + 1);
        for (int i = 0; i < PREFIX_LENGTH; i++) {
            builder.append(Character.forDigit(random.nextInt(36), 36));
        }
        this.prefix = builder.append('-').toString();
    }

    /** The next connection number (starting at 1). */
    public long next() {
        return counter.incrementAndGet();
    }

    /** The id of connection number {@code number}: the same text every time. */
    public String format(long number) {
        return prefix + Long.toString(number, 36);
    }
}
