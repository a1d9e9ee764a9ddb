package dev.switchboard.protocol;

import java.util.regex.Pattern;

/**
 * Syntax of user, device, group and client message ids, shared by server and SDKs so both reject
 * the same values. Ids are case-sensitive and never need escaping in URLs, logs or Redis keys.
 */
public final class Identifiers {
    public static final int MAX_USER_ID_LENGTH = 128;
    public static final int MAX_DEVICE_ID_LENGTH = 64;
    public static final int MAX_GROUP_ID_LENGTH = 128;
    public static final int MAX_CLIENT_ID_LENGTH = 64;
    public static final int MAX_REF_LENGTH = 64;
    public static final int MAX_FILE_NAME_LENGTH = 255;
    public static final int MAX_CONTENT_TYPE_LENGTH = 127;

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_.:@-]+");
    /** {@code f-} and 32 lower-case hex digits: 128 random bits, made by the server. */
    private static final Pattern FILE_ID = Pattern.compile("f-[0-9a-f]{32}");
    /** RFC 6838 type and subtype names, then optional parameters (checked only for storable text). */
    private static final Pattern CONTENT_TYPE = Pattern.compile("[A-Za-z0-9!#$&^_.+-]+/[A-Za-z0-9!#$&^_.+-]+(;.*)?");

    private Identifiers() {
    }

    public static boolean isValidUserId(String value) {
        return isSafe(value, MAX_USER_ID_LENGTH);
    }

    public static boolean isValidDeviceId(String value) {
        return isSafe(value, MAX_DEVICE_ID_LENGTH);
    }

    public static boolean isValidGroupId(String value) {
        return isSafe(value, MAX_GROUP_ID_LENGTH);
    }

    /**
     * Client message ids are opaque to the server: any non-blank string up to 64 chars that is
     * {@link #isStorableText storable text}.
     */
    public static boolean isValidClientId(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_CLIENT_ID_LENGTH && isStorableText(value);
    }

    /** A file id as the server makes them (docs/PROTOCOL.md section 11). */
    public static boolean isValidFileId(String value) {
        return value != null && FILE_ID.matcher(value).matches();
    }

    /**
     * A file's name: 1–255 chars of storable text, not blank, without {@code /} or {@code \} (a name, not a
     * path: what a download is saved under).
     */
    public static boolean isValidFileName(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_FILE_NAME_LENGTH
                && value.indexOf('/') < 0 && value.indexOf('\\') < 0 && isStorableText(value);
    }

    /** A media type such as {@code image/png} or {@code text/plain; charset=utf-8}, at most 127 chars. */
    public static boolean isValidContentType(String value) {
        return value != null && value.length() <= MAX_CONTENT_TYPE_LENGTH && CONTENT_TYPE.matcher(value).matches()
                && isStorableText(value);
    }

    /**
     * True when {@code value} has no control characters (U+0000–U+001F, U+007F) and no unpaired
     * surrogate: text every store and every UTF-8 encoder accepts unchanged.
     */
    public static boolean isStorableText(String value) {
        if (value == null) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c == 0x7f) {
                return false;
            }
        }
        return utf8LengthIfPaired(value) >= 0;
    }

    /** Like {@link #isStorableText} but allowing control characters (JSON escapes them). */
    public static boolean hasOnlyPairedSurrogates(String value) {
        return value != null && utf8LengthIfPaired(value) >= 0;
    }

    /**
     * The UTF-8 length of {@code value}, or -1 when it has an unpaired surrogate (which has no UTF-8
     * form): {@link #hasOnlyPairedSurrogates} and the size check of a payload in one pass, without
     * encoding it.
     */
    public static int utf8LengthIfPaired(String value) {
        int length = 0;
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                length++;
            } else if (c < 0x800) {
                length += 2;
            } else if (Character.isHighSurrogate(c)) {
                if (i + 1 >= value.length() || !Character.isLowSurrogate(value.charAt(i + 1))) {
                    return -1;
                }
                length += 4;
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return -1;
            } else {
                length += 3;
            }
        }
        return length;
    }

    private static boolean isSafe(String value, int maxLength) {
        return value != null && !value.isEmpty() && value.length() <= maxLength && SAFE.matcher(value).matches();
    }
}
