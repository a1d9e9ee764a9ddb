package dev.switchboard.protocol;

import java.util.HashMap;
import java.util.Map;

/**
 * Every message type of the wire protocol, with its stable wire name (the JSON {@code type}).
 * See docs/PROTOCOL.md section 3 for fields and replies.
 */
public enum MessageType {
    // client -> server
    RESUME("resume"),
    SEND("send"),
    ACK("ack"),
    PING("ping"),
    GROUP_CREATE("group.create"),
    GROUP_JOIN("group.join"),
    GROUP_LEAVE("group.leave"),
    GROUP_MEMBERS("group.members"),
    GROUP_LIST("group.list"),
    PRESENCE_QUERY("presence.query"),
    SUBSCRIBE("subscribe"),
    UNSUBSCRIBE("unsubscribe"),
    PUBLISH("publish"),
    UPLOAD_START("upload.start"),
    UPLOAD_STATUS("upload.status"),
    UPLOAD_CANCEL("upload.cancel"),
    /** The header's type of a file chunk, which is a binary frame (docs/PROTOCOL.md section 11). */
    UPLOAD_CHUNK("upload.chunk"),
    // server -> client
    WELCOME("welcome"),
    MESSAGE("message"),
    TRUNCATED("truncated"),
    SYNCED("synced"),
    SENT("sent"),
    RESULT("result"),
    PONG("pong"),
    ERROR("error"),
    KICKED("kicked"),
    PUBLICATION("publication"),
    PRESENCE("presence");

    private static final Map<String, MessageType> BY_WIRE_NAME = new HashMap<>();

    static {
        for (MessageType type : values()) {
            BY_WIRE_NAME.put(type.wireName, type);
        }
    }

    private final String wireName;

    MessageType(String wireName) {
        this.wireName = wireName;
    }

    /** The value of the JSON {@code type} field. */
    public String wireName() {
        return wireName;
    }

    /** Returns the type with this wire name, or {@code null} when there is none. */
    public static MessageType fromWireName(String wireName) {
        return wireName == null ? null : BY_WIRE_NAME.get(wireName);
    }
}
