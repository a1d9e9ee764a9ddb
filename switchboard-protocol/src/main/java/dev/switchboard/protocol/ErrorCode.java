package dev.switchboard.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * The {@code code} of an {@code error} message (docs/PROTOCOL.md section 6). After any of these the
 * connection stays open; {@link #isRetryable()} tells whether resending the same request later can succeed.
 */
public enum ErrorCode {
    BAD_JSON("bad_json", false),
    UNKNOWN_TYPE("unknown_type", false),
    MISSING_FIELD("missing_field", false),
    INVALID_FIELD("invalid_field", false),
    PAYLOAD_TOO_LARGE("payload_too_large", false),
    UNSUPPORTED_FRAME("unsupported_frame", false),
    NOT_GROUP_MEMBER("not_group_member", false),
    GROUP_NOT_FOUND("group_not_found", false),
    GROUP_EXISTS("group_exists", false),
    GROUP_FULL("group_full", false),
    /** The user may not subscribe to or publish on this topic. */
    FORBIDDEN("forbidden", false),
    /** The connection already has the most topic subscriptions allowed. */
    SUBSCRIPTION_LIMIT("subscription_limit", false),
    /** {@code upload.start} with a size over the server's largest file. */
    FILE_TOO_LARGE("file_too_large", false),
    /** No such upload of this user: unknown, expired, or another user's. */
    FILE_NOT_FOUND("file_not_found", false),
    /** {@code send} with a file whose upload is not complete. */
    FILE_INCOMPLETE("file_incomplete", false),
    /** A chunk whose offset is not the upload's current one; nothing was stored. */
    UPLOAD_OFFSET("upload_offset", false),
    /** The user has the most uploads that are not complete. */
    UPLOAD_LIMIT("upload_limit", false),
    RATE_LIMITED("rate_limited", true),
    STORE_BUSY("store_busy", true),
    STORE_UNAVAILABLE("store_unavailable", true),
    INTERNAL("internal", true),
    /** Not sent by servers: stands for a code this version does not know, which is not retried. */
    UNKNOWN("unknown", false);

    private static final Map<String, ErrorCode> BY_WIRE_NAME = new HashMap<>();

    static {
        for (ErrorCode code : values()) {
            BY_WIRE_NAME.put(code.wireName, code);
        }
    }

    private final String wireName;
    private final boolean retryable;

    ErrorCode(String wireName, boolean retryable) {
        this.wireName = wireName;
        this.retryable = retryable;
    }

    public String wireName() {
        return wireName;
    }

    /** True when the same request may succeed if sent again later (nothing was stored). */
    public boolean isRetryable() {
        return retryable;
    }

    /** Returns the code with this wire name, or {@link #UNKNOWN} for a name this version does not know. */
    public static ErrorCode fromWireName(String wireName) {
        ErrorCode code = wireName == null ? null : BY_WIRE_NAME.get(wireName);
        return code == null ? UNKNOWN : code;
    }
}
