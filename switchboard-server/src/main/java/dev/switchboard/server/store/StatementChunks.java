package dev.switchboard.server.store;

import java.sql.SQLException;
import java.util.Collections;

/**
 * Splits work over many rows into statements of a few fixed sizes: each statement covers a chunk of
 * rows whose size is a power of two, at most a given maximum.
 *
 * @implNote Against a networked database every statement costs a round trip, and one statement over
 * many rows costs the server far less than one per row. Sizes that are powers of two keep the number
 * of distinct statement texts small (at most log2 of the maximum, plus one), so all of them stay
 * prepared in the writer's statement cache.
 */
final class StatementChunks {
    /** One chunk: rows {@code from} to {@code from + size - 1}. */
    interface Chunk {
        void run(int from, int size) throws SQLException;
    }

    private StatementChunks() {
    }

    /** Runs {@code chunk} over rows 0 to {@code rows - 1}, largest chunks first. */
    static void forEach(int rows, int maxChunk, Chunk chunk) throws SQLException {
        int from = 0;
        while (from < rows) {
            int size = Integer.highestOneBit(Math.min(rows - from, maxChunk));
            chunk.run(from, size);
            from += size;
        }
    }

    /** {@code count} copies of {@code element}, comma separated: the VALUES list of a multi-row statement. */
    static String repeat(String element, int count) {
        return String.join(", ", Collections.nCopies(count, element));
    }
}
