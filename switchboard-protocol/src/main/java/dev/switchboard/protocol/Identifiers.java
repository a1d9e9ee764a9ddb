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

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_.:@-]+");

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

    /** Client message ids are opaque to the server: any non-blank string up to 64 chars. */
    public static boolean isValidClientId(String value) {
        return value != null && !value.isBlank() && value.length() <= MAX_CLIENT_ID_LENGTH;
    }

    private static boolean isSafe(String value, int maxLength) {
        return value != null && !value.isEmpty() && value.length() <= maxLength && SAFE.matcher(value).matches();
    }
}
