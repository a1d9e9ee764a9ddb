package dev.switchboard.bench.load;

import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/** Byte-level helpers for reading frames without decoding them. */
final class Frames {
    private static final byte[] TIMESTAMP = "\"t\":".getBytes(StandardCharsets.US_ASCII);

    private Frames() {
    }

    static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    /** True when {@code buffer}'s readable bytes start with {@code prefix}. */
    static boolean startsWith(ByteBuf buffer, byte[] prefix) {
        if (buffer.readableBytes() < prefix.length) {
            return false;
        }
        int start = buffer.readerIndex();
        for (int i = 0; i < prefix.length; i++) {
            if (buffer.getByte(start + i) != prefix[i]) {
                return false;
            }
        }
        return true;
    }

    /** The kind of a frame by its first bytes; {@code replies} are the prefixes of request replies. */
    static Inbound classify(ByteBuf text, byte[] message, byte[] publication, byte[] welcome, byte[]... replies) {
        if (startsWith(text, message)) {
            return Inbound.MESSAGE;
        }
        if (startsWith(text, publication)) {
            return Inbound.PUBLICATION;
        }
        for (byte[] reply : replies) {
            if (startsWith(text, reply)) {
                return Inbound.REPLY;
            }
        }
        return startsWith(text, welcome) ? Inbound.WELCOME : Inbound.OTHER;
    }

    /** The number after the first {@code "t":}, or -1. */
    static long timestamp(ByteBuf buffer) {
        int at = indexOf(buffer, buffer.readerIndex(), buffer.writerIndex(), TIMESTAMP, false);
        if (at < 0) {
            return -1;
        }
        long value = 0;
        boolean any = false;
        for (int k = at + TIMESTAMP.length; k < buffer.writerIndex(); k++) {
            byte digit = buffer.getByte(k);
            if (digit < '0' || digit > '9') {
                break;
            }
            value = value * 10 + (digit - '0');
            any = true;
        }
        return any ? value : -1;
    }

    /**
     * Index of {@code pattern} in {@code buffer} between {@code from} and {@code to}, or -1; with
     * {@code anyCase}, upper-case ASCII letters in the buffer match the pattern's lower-case ones.
     */
    static int indexOf(ByteBuf buffer, int from, int to, byte[] pattern, boolean anyCase) {
        outer:
        for (int i = from; i <= to - pattern.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                byte actual = buffer.getByte(i + j);
                if (anyCase && actual >= 'A' && actual <= 'Z') {
                    actual += 'a' - 'A';
                }
                if (actual != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
