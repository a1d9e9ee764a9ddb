package dev.switchboard.bench.load;

import io.netty.buffer.ByteBuf;

/**
 * The peers' minimal protocol (bench/peers/README.md): in-memory 1:1 by user id and topics, no
 * durability, no acknowledgements of sends; a group is a topic here. The same events travel either
 * as plain JSON objects ({@code {"type":"send",…}}: Node ws, Bun) or inside Socket.IO v4 framing over
 * the websocket transport ({@code 42["send",{…}]}), which adds the Engine.IO handshake — open
 * ({@code 0{…}}) answered with a namespace connect ({@code 40}) — and pings ({@code 2}) answered with
 * pongs ({@code 3}).
 */
final class PeerDialect implements Dialect {
    private static final byte[] SOCKET_IO_OPEN = Frames.ascii("0{");
    private static final byte[] SOCKET_IO_PING = Frames.ascii("2");

    private final boolean socketIo;
    private final byte[] welcome;
    private final byte[] message;
    private final byte[] publication;
    private final byte[] subscribed;

    private PeerDialect(boolean socketIo) {
        this.socketIo = socketIo;
        this.welcome = Frames.ascii(eventPrefix("welcome"));
        this.message = Frames.ascii(eventPrefix("message"));
        this.publication = Frames.ascii(eventPrefix("publication"));
        this.subscribed = Frames.ascii(eventPrefix("subscribed"));
    }

    static PeerDialect plain() {
        return new PeerDialect(false);
    }

    static PeerDialect socketIo() {
        return new PeerDialect(true);
    }

    /** How a frame carrying {@code event} starts. */
    private String eventPrefix(String event) {
        return socketIo ? "42[\"" + event + "\"" : "{\"type\":\"" + event + "\"";
    }

    /** One event with its fields ({@code "topic":"t",…}, without braces). */
    private String event(String event, String fields) {
        return socketIo ? "42[\"" + event + "\",{" + fields + "}]" : "{\"type\":\"" + event + "\"," + fields + "}";
    }

    @Override
    public String path(String user) {
        return socketIo ? "/socket.io/?EIO=4&transport=websocket&user=" + user : "/ws?user=" + user;
    }

    @Override
    public String afterWelcome() {
        return null;
    }

    @Override
    public String subscribe(String topic) {
        return event("subscribe", "\"topic\":\"" + topic + "\"");
    }

    @Override
    public String publish(String topic, String payloadJson) {
        return event("publish", "\"topic\":\"" + topic + "\",\"data\":" + payloadJson);
    }

    @Override
    public String send(String toUser, String payloadJson, long sequence) {
        return event("send", "\"to\":\"" + toUser + "\",\"body\":" + payloadJson);
    }

    @Override
    public String sendToGroup(String group, String payloadJson, long sequence) {
        return publish(group, payloadJson);
    }

    @Override
    public Inbound classify(ByteBuf text) {
        return Frames.classify(text, message, publication, welcome, subscribed);
    }

    @Override
    public String reply(ByteBuf text) {
        if (!socketIo) {
            return null;
        }
        if (Frames.startsWith(text, SOCKET_IO_OPEN)) {
            return "40";
        }
        if (text.readableBytes() == 1 && Frames.startsWith(text, SOCKET_IO_PING)) {
            return "3";
        }
        return null;
    }
}
