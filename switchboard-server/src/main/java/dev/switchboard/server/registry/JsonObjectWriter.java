package dev.switchboard.server.registry;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Writes one JSON object, field by field, as UTF-8 into a growing byte array: the encoder of the
 * messages the server sends on every publication and every send ({@code publication},
 * {@code message}, {@code sent}, the {@code result} of a publish).
 *
 * <p>Field names are the protocol's own ASCII names and are written as given; string values are
 * escaped as JSON requires, the same way Jackson's generator escapes them: {@code "} and {@code \},
 * control characters (short forms for backspace, tab, newline, form feed and carriage return,
 * {@code \}{@code u00XX} for the rest), and every surrogate as {@code \}{@code uXXXX}, so the output
 * is well-formed UTF-8 whatever the string holds. Not thread-safe; one object per writer.
 *
 * @implNote Jackson's {@code JsonGenerator} costs about a kilobyte of short-lived objects per
 * object written (its context, I/O context, buffers and an output stream). Under the topic latency
 * load those, with the tree-built replies, were a third of the bytes an event loop allocated per
 * message; this writer allocates its array and nothing else.
 */
public final class JsonObjectWriter {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private byte[] bytes;
    private int length;
    private boolean needsComma;

    /** Starts the object; {@code sizeHint} presizes the array (it grows as needed). */
    public JsonObjectWriter(int sizeHint) {
        bytes = new byte[Math.max(16, sizeHint)];
        bytes[length++] = '{';
    }

    public JsonObjectWriter string(String name, String value) {
        name(name);
        quoted(value);
        return this;
    }

    public JsonObjectWriter number(String name, long value) {
        name(name);
        ascii(Long.toString(value));
        return this;
    }

    public JsonObjectWriter bool(String name, boolean value) {
        name(name);
        ascii(value ? "true" : "false");
        return this;
    }

    /** A field whose value is already serialized JSON (a payload checked when it was received), written unchanged. */
    public JsonObjectWriter rawValue(String name, String json) {
        name(name);
        utf8(json);
        return this;
    }

    /** A field whose value is already serialized JSON as UTF-8 (an object this class wrote), copied unchanged. */
    public JsonObjectWriter rawValue(String name, byte[] json) {
        name(name);
        ensure(json.length);
        System.arraycopy(json, 0, bytes, length, json.length);
        length += json.length;
        return this;
    }

    /** Opens a nested object as the value of {@code name}; close it with {@link #endObject}. */
    public JsonObjectWriter startObject(String name) {
        name(name);
        append((byte) '{');
        needsComma = false;
        return this;
    }

    public JsonObjectWriter endObject() {
        append((byte) '}');
        needsComma = true;
        return this;
    }

    /** Closes the object and returns its exact bytes. */
    public byte[] toBytes() {
        append((byte) '}');
        return Arrays.copyOf(bytes, length);
    }

    /** Closes the object and wraps its bytes (no copy). */
    public ByteBuf toByteBuf() {
        append((byte) '}');
        return Unpooled.wrappedBuffer(bytes, 0, length);
    }

    private void name(String name) {
        if (needsComma) {
            append((byte) ',');
        }
        needsComma = true;
        ensure(name.length() + 3);
        bytes[length++] = '"';
        for (int i = 0; i < name.length(); i++) {
            bytes[length++] = (byte) name.charAt(i);
        }
        bytes[length++] = '"';
        bytes[length++] = ':';
    }

    private void ascii(String text) {
        ensure(text.length());
        for (int i = 0; i < text.length(); i++) {
            bytes[length++] = (byte) text.charAt(i);
        }
    }

    private void quoted(String value) {
        ensure(value.length() + 2);
        bytes[length++] = '"';
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
                append((byte) c);
            } else if (c == '"' || c == '\\') {
                append((byte) '\\');
                append((byte) c);
            } else if (c < 0x20) {
                escapeControl(c);
            } else if (Character.isSurrogate(c)) {
                escapeUnicode(c);
            } else {
                multiByte(c);
            }
        }
        append((byte) '"');
    }

    /** Text that is already JSON: UTF-8 encoded as it is, a surrogate pair as one four-byte sequence. */
    private void utf8(String json) {
        ensure(json.length());
        for (int i = 0; i < json.length(); i++) {
            char c = json.charAt(i);
            if (c < 0x80) {
                append((byte) c);
            } else if (Character.isHighSurrogate(c) && i + 1 < json.length() && Character.isLowSurrogate(json.charAt(i + 1))) {
                int codePoint = Character.toCodePoint(c, json.charAt(++i));
                ensure(4);
                bytes[length++] = (byte) (0xf0 | (codePoint >> 18));
                bytes[length++] = (byte) (0x80 | ((codePoint >> 12) & 0x3f));
                bytes[length++] = (byte) (0x80 | ((codePoint >> 6) & 0x3f));
                bytes[length++] = (byte) (0x80 | (codePoint & 0x3f));
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("unpaired surrogate in serialized JSON"); // checked on receipt
            } else {
                multiByte(c);
            }
        }
    }

    private void escapeControl(char c) {
        char shortForm = switch (c) {
            case '\b' -> 'b';
            case '\t' -> 't';
            case '\n' -> 'n';
            case '\f' -> 'f';
            case '\r' -> 'r';
            default -> 0;
        };
        if (shortForm != 0) {
            append((byte) '\\');
            append((byte) shortForm);
        } else {
            escapeUnicode(c);
        }
    }

    private void escapeUnicode(char c) {
        ensure(6);
        bytes[length++] = '\\';
        bytes[length++] = 'u';
        bytes[length++] = HEX[(c >> 12) & 0xf];
        bytes[length++] = HEX[(c >> 8) & 0xf];
        bytes[length++] = HEX[(c >> 4) & 0xf];
        bytes[length++] = HEX[c & 0xf];
    }

    /** A char of the Basic Multilingual Plane above ASCII, not a surrogate: two or three bytes. */
    private void multiByte(char c) {
        ensure(3);
        if (c < 0x800) {
            bytes[length++] = (byte) (0xc0 | (c >> 6));
        } else {
            bytes[length++] = (byte) (0xe0 | (c >> 12));
            bytes[length++] = (byte) (0x80 | ((c >> 6) & 0x3f));
        }
        bytes[length++] = (byte) (0x80 | (c & 0x3f));
    }

    private void append(byte b) {
        ensure(1);
        bytes[length++] = b;
    }

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }
}
