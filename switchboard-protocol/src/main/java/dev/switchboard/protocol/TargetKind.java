package dev.switchboard.protocol;

/** What a chat message is addressed to: one user (1:1) or a group. Wire names are lower case. */
public enum TargetKind {
    USER("user"),
    GROUP("group");

    private final String wireName;

    TargetKind(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }

    /** Returns the kind with this wire name, or {@code null}. */
    public static TargetKind fromWireName(String wireName) {
        for (TargetKind kind : values()) {
            if (kind.wireName.equals(wireName)) {
                return kind;
            }
        }
        return null;
    }
}
