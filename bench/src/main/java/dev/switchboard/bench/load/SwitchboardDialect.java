package dev.switchboard.bench.load;

import io.netty.buffer.ByteBuf;

/** Switchboard's wire protocol (docs/PROTOCOL.md). Chat is durable; topics are ephemeral. */
final class SwitchboardDialect implements Dialect {
    private static final byte[] WELCOME = Frames.ascii("{\"type\":\"welcome\"");
    private static final byte[] MESSAGE = Frames.ascii("{\"type\":\"message\"");
    private static final byte[] PUBLICATION = Frames.ascii("{\"type\":\"publication\"");
    private static final byte[] SENT = Frames.ascii("{\"type\":\"sent\"");
    private static final byte[] RESULT = Frames.ascii("{\"type\":\"result\"");

    static String token;

    @Override
    public String path(String user) {
        return token == null ? "/ws?user=" + user + "&device=bench" : "/ws?token=" + Tokens.forUser(user);
    }

    @Override
    public String afterWelcome() {
        return "{\"type\":\"resume\"}";
    }

    @Override
    public String subscribe(String topic) {
        return "{\"type\":\"subscribe\",\"ref\":\"s\",\"topic\":\"" + topic + "\"}";
    }

    @Override
    public String publish(String topic, String payloadJson) {
        return "{\"type\":\"publish\",\"topic\":\"" + topic + "\",\"data\":" + payloadJson + "}";
    }

    @Override
    public String send(String toUser, String payloadJson, long sequence) {
        return "{\"type\":\"send\",\"clientId\":\"c" + sequence + "\",\"to\":{\"kind\":\"user\",\"id\":\"" + toUser
                + "\"},\"body\":" + payloadJson + "}";
    }

    @Override
    public String sendToGroup(String group, String payloadJson, long sequence) {
        return "{\"type\":\"send\",\"clientId\":\"g" + sequence + "\",\"to\":{\"kind\":\"group\",\"id\":\"" + group
                + "\"},\"body\":" + payloadJson + "}";
    }

    @Override
    public Inbound classify(ByteBuf text) {
        return Frames.classify(text, MESSAGE, PUBLICATION, WELCOME, SENT, RESULT);
    }
}
