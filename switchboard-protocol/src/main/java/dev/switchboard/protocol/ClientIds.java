package dev.switchboard.protocol;

import java.security.SecureRandom;
import java.util.Random;
import java.util.UUID;

/**
 * Client ids as the SDKs make them for a send without one, and the server API for a message posted
 * without an idempotency key: UUIDs of version 7 (RFC 9562), whose first 48 bits are the time in
 * milliseconds, so ids made later sort after earlier ones, as strings too.
 *
 * @implNote Why time-ordered: the embedded store keeps every stored message's (client id, sender) in a
 * unique index, ordered client id first, to find resends. Time-ordered ids add each new key at the
 * index's end, where the last commits wrote; random ones (version 4) write a page at a random place
 * for every message, which the store's background checkpoint then copies back and syncs
 * (docs/PROTOCOL.md, bench/analysis.md). MariaDB and PostgreSQL order the key sender first; there
 * they add it at the end of the sender's keys. The other 74 bits are random, from
 * {@link SecureRandom} as {@link UUID#randomUUID()} uses: two sends of one sender must never share an
 * id, or the second would be taken for a resend of the first.
 */
public final class ClientIds {
    private static final Random RANDOM = new SecureRandom();

    private ClientIds() {
    }

    /** A new id, made now. */
    public static String next() {
        return timeOrdered(System.currentTimeMillis(), RANDOM);
    }

    /** The version 7 UUID of {@code epochMillis} (its lowest 48 bits) with random bits from {@code random}. */
    public static String timeOrdered(long epochMillis, Random random) {
        long mostSignificant = (epochMillis << 16) | 0x7000L | (random.nextInt() & 0x0FFFL);
        long leastSignificant = (random.nextLong() & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(mostSignificant, leastSignificant).toString();
    }
}
