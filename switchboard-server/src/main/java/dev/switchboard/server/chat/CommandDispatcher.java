package dev.switchboard.server.chat;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.MessageType;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.io.IOException;

/**
 * Parses one client message and routes it by {@code type}. Every bad input ends in an
 * {@code error} reply naming the problem, with the client's {@code ref} when it could be read;
 * the connection stays open (unless it keeps doing it, see {@link Session}).
 */
public final class CommandDispatcher {
    private final ChatService chat;
    private final GroupCommands groups;
    private final PresenceCommands presence;
    private final TopicCommands topics;
    private final FileCommands files;
    private final ServerMetrics metrics;

    public CommandDispatcher(ChatService chat, GroupCommands groups, PresenceCommands presence, TopicCommands topics,
                             FileCommands files, ServerMetrics metrics) {
        this.chat = chat;
        this.groups = groups;
        this.presence = presence;
        this.topics = topics;
        this.files = files;
        this.metrics = metrics;
    }

    /**
     * The most bytes of a chunk's header (docs/PROTOCOL.md section 11): with its 2-byte length, the room a
     * chunk's message keeps beside its data, so a chunk of {@code chunkBytes} always fits {@code maxMessageBytes}.
     */
    static final int MAX_CHUNK_HEADER_BYTES = ServerConfig.Files.CHUNK_HEADER_ROOM - 2;

    public TopicCommands topics() {
        return topics;
    }

    /**
     * Handles one text message (well-formed UTF-8, checked by the endpoint) on the connection's
     * event loop.
     *
     * @implNote Parsed from its UTF-8 bytes, not from a {@code String}: decoding to UTF-16 first would
     * copy the message twice more and run Jackson's char-based parser, which allocates more per call.
     * Jackson's byte parser guesses the encoding from the first bytes, and would read a message with
     * a NUL among its first four bytes as UTF-16 or UTF-32 (where a crafted message made it throw
     * past its JSON errors) and skip a leading byte-order mark; JSON text allows neither, so such a
     * message is refused before it parses, as the text parser refused it. Error columns count bytes.
     */
    public void handle(Session session, ByteBuf utf8) {
        if (startsAsAnotherEncoding(utf8)) {
            session.reject(null, ErrorCode.BAD_JSON, "not valid JSON: a message is UTF-8 JSON text, without NUL or byte-order mark");
            return;
        }
        JsonNode request;
        try {
            request = parse(utf8);
        } catch (JsonProcessingException e) {
            session.reject(null, ErrorCode.BAD_JSON, "not valid JSON" + OutboundMessages.where(e));
            return;
        } catch (IOException e) { // not expected from bytes in memory; answered as bad input all the same
            session.reject(null, ErrorCode.BAD_JSON, "not valid JSON");
            return;
        }
        if (request == null || !request.isObject()) {
            session.reject(null, ErrorCode.BAD_JSON, "a message must be a JSON object");
            return;
        }
        String ref = null;
        try {
            ref = RequestFields.ref(request);
            dispatch(session, ref, request);
        } catch (RequestRejectedException e) {
            session.reject(ref, e.code(), e.getMessage());
        }
    }

    /**
     * Handles one binary message on the connection's event loop: a file chunk, whose header (a 2-byte
     * length, then that many bytes of JSON) is checked as a text message is, then handed with the data
     * after it to {@link FileCommands}.
     */
    public void handleBinary(Session session, ByteBuf frame) {
        int start = frame.readerIndex();
        int headerLength = frame.readableBytes() >= 2 ? frame.getUnsignedShort(start) : 0;
        if (headerLength < 1 || headerLength > MAX_CHUNK_HEADER_BYTES || headerLength > frame.readableBytes() - 2) {
            session.reject(null, ErrorCode.UNSUPPORTED_FRAME, "a binary message is a file chunk: a 2-byte header length "
                    + "(1-" + MAX_CHUNK_HEADER_BYTES + "), the JSON header, then the data (PROTOCOL.md section 11)");
            return;
        }
        ByteBuf header = frame.slice(start + 2, headerLength);
        JsonNode request = null;
        try {
            request = startsAsAnotherEncoding(header) ? null : parse(header);
        } catch (IOException e) {
            // answered below, as a header that is not a JSON object
        }
        if (request == null || !request.isObject()) {
            session.reject(null, ErrorCode.BAD_JSON, "a chunk's header must be a JSON object in UTF-8");
            return;
        }
        String ref = null;
        try {
            ref = RequestFields.ref(request);
            JsonNode type = request.get("type");
            if (type == null || type.isNull()) {
                throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field 'type'");
            }
            if (!MessageType.UPLOAD_CHUNK.wireName().equals(type.asText(null))) {
                throw new RequestRejectedException(ErrorCode.UNSUPPORTED_FRAME,
                        "a binary message's header must have type 'upload.chunk', not " + type);
            }
            int dataStart = start + 2 + headerLength;
            files.chunk(session, ref, request, frame.slice(dataStart, frame.writerIndex() - dataStart));
        } catch (RequestRejectedException e) {
            session.reject(ref, e.code(), e.getMessage());
        }
    }

    private static JsonNode parse(ByteBuf utf8) throws IOException {
        int length = utf8.readableBytes();
        if (utf8.hasArray()) {
            return OutboundMessages.JSON.readTree(utf8.array(), utf8.arrayOffset() + utf8.readerIndex(), length);
        }
        return OutboundMessages.JSON.readTree(ByteBufUtil.getBytes(utf8, utf8.readerIndex(), length), 0, length);
    }

    /** A NUL among the first four bytes, or a UTF-8 byte-order mark: what Jackson's encoding detection acts on. */
    private static boolean startsAsAnotherEncoding(ByteBuf utf8) {
        int start = utf8.readerIndex();
        int length = utf8.readableBytes();
        for (int i = 0; i < Math.min(4, length); i++) {
            if (utf8.getByte(start + i) == 0) {
                return true;
            }
        }
        return length >= 3 && utf8.getByte(start) == (byte) 0xEF && utf8.getByte(start + 1) == (byte) 0xBB
                && utf8.getByte(start + 2) == (byte) 0xBF;
    }

    private void dispatch(Session session, String ref, JsonNode request) {
        JsonNode typeNode = request.get("type");
        if (typeNode == null || typeNode.isNull()) {
            throw new RequestRejectedException(ErrorCode.MISSING_FIELD, "missing field 'type'");
        }
        MessageType type = MessageType.fromWireName(typeNode.isTextual() ? typeNode.asText() : null);
        if (type == null) {
            throw new RequestRejectedException(ErrorCode.UNKNOWN_TYPE, "unknown type " + typeNode);
        }
        if (type != MessageType.SEND && type != MessageType.PUBLISH) {
            metrics.messageIn(ServerMetrics.Kind.REQUEST); // sends and publishes are counted once accepted
        }
        switch (type) {
            case RESUME -> {
                long afterSeq = RequestFields.optionalSeq(request, "afterSeq");
                session.inbox().resume(afterSeq >= 0 ? afterSeq : session.inbox().cursor());
            }
            case SEND -> chat.send(session, ref, request);
            case ACK -> session.inbox().acknowledge(RequestFields.requiredSeq(request, "seq"));
            case PING -> session.connection().reply(OutboundMessages.pong(ref));
            case GROUP_CREATE, GROUP_JOIN, GROUP_LEAVE, GROUP_MEMBERS, GROUP_LIST -> {
                if (session.tryAcquireRequest(ref)) {
                    groups.handle(session, type, ref, request);
                }
            }
            case PRESENCE_QUERY -> {
                if (session.tryAcquireRequest(ref)) {
                    presence.query(session, ref, request);
                }
            }
            case SUBSCRIBE -> topics.subscribe(session, ref, request);
            case UNSUBSCRIBE -> topics.unsubscribe(session, ref, request);
            case PUBLISH -> topics.publish(session, ref, request);
            case UPLOAD_START -> files.start(session, ref, request);
            case UPLOAD_STATUS -> files.status(session, ref, request);
            case UPLOAD_CANCEL -> files.cancel(session, ref, request);
            case UPLOAD_CHUNK -> throw new RequestRejectedException(ErrorCode.UNSUPPORTED_FRAME,
                    "a chunk is a binary message, not a text one (PROTOCOL.md section 11)");
            default -> throw new RequestRejectedException(ErrorCode.UNKNOWN_TYPE,
                    "type '" + type.wireName() + "' is sent by the server, not by clients");
        }
    }
}
