package dev.switchboard.bench.load;

import io.netty.buffer.ByteBuf;

/**
 * How the load generator speaks to one kind of server: Switchboard's protocol, the peers' minimal
 * JSON protocol (Node {@code ws}, Bun), or that same protocol inside Socket.IO's framing. Every
 * payload the generator sends embeds {@code "t":<nanoTime>} so latency can be read back from any
 * server's frame without parsing it as JSON.
 */
public interface Dialect {

    /** Request path and query of the upgrade for {@code user}. */
    String path(String user);

    /** The frame to send once the session is accepted, or null (Switchboard: {@code resume}). */
    String afterWelcome();

    String subscribe(String topic);

    String publish(String topic, String payloadJson);

    /** A 1:1 message (Switchboard: durable chat). */
    String send(String toUser, String payloadJson, long sequence);

    /** A message to a group (Switchboard: durable group chat; peers: a room publication). */
    String sendToGroup(String group, String payloadJson, long sequence);

    /** Classifies an inbound text frame; must be cheap (called for every frame). */
    Inbound classify(ByteBuf text);

    /** A frame to answer {@code text} with at the protocol level (Socket.IO's connect and pong), or null. */
    default String reply(ByteBuf text) {
        return null;
    }

    static Dialect of(String name) {
        return switch (name) {
            case "switchboard" -> new SwitchboardDialect();
            case "plain" -> PeerDialect.plain();
            case "socketio" -> PeerDialect.socketIo();
            default -> throw new IllegalArgumentException("unknown dialect " + name);
        };
    }
}
