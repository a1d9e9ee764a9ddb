package dev.switchboard.server.chat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.metrics.ServerMetrics;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.store.FileStore;
import dev.switchboard.server.store.StoredFile;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * The file upload requests (docs/PROTOCOL.md section 11): {@code upload.start}, {@code upload.status},
 * {@code upload.cancel}, and the chunks, which arrive as binary frames. Replies are {@code result} messages carrying the upload's
 * state; a chunk's comes once the chunk is durable.
 *
 * @implNote One chunk per connection is stored at a time, and one that arrives meanwhile is refused
 * ({@code rate_limited}) rather than queued: the memory a connection can hold in chunks is one chunk
 * ({@code limits.maxMessageBytes}), whatever the client does. Every chunk also takes a send token, so an
 * upload uses a connection's send budget and cannot fill the store writer's queue faster than sends can.
 * Across the node's connections, the chunks waiting for the writer are bounded in bytes
 * ({@code files.maxQueuedChunkBytes}, refused with {@code store_busy} beyond it): without that bound, a
 * writer's queue full of chunks ({@code store.writeQueueCapacity} of them) would be a gigabyte of heap.
 */
public final class FileCommands {
    private static final String DEFAULT_CONTENT_TYPE = "application/octet-stream";

    private final FileStore files;
    private final ServerConfig.Files config;
    private final int chunkBytes;
    private final ServerMetrics metrics;
    private final SecureRandom random = new SecureRandom();
    /** Bytes of chunks handed to the store and not yet stored (or refused), all connections together. */
    private final AtomicLong queuedChunkBytes = new AtomicLong();

    public FileCommands(FileStore files, ServerConfig.Files config, int chunkBytes, ServerMetrics metrics) {
        this.files = files;
        this.config = config;
        this.chunkBytes = chunkBytes;
        this.metrics = metrics;
    }

    /** Handles {@code upload.start} on the connection's event loop. */
    void start(Session session, String ref, JsonNode request) {
        String name = RequestFields.requiredString(request, "name", Identifiers::isValidFileName,
                "1-" + Identifiers.MAX_FILE_NAME_LENGTH + " chars without control characters, '/' or '\\'");
        long size = RequestFields.requiredSeq(request, "size");
        String contentType = RequestFields.optionalString(request, "contentType", Identifiers::isValidContentType,
                "a media type such as image/png, at most " + Identifiers.MAX_CONTENT_TYPE_LENGTH + " chars");
        String clientId = RequestFields.optionalString(request, "clientId", Identifiers::isValidClientId,
                "a non-blank string of at most " + Identifiers.MAX_CLIENT_ID_LENGTH + " chars");
        if (!config.isEnabled()) {
            throw new RequestRejectedException(ErrorCode.FILE_TOO_LARGE, "this server accepts no files");
        }
        if (size == 0 || size > config.maxFileBytes()) {
            throw size == 0
                    ? new RequestRejectedException(ErrorCode.INVALID_FIELD, "field 'size' must be at least 1")
                    : new RequestRejectedException(ErrorCode.FILE_TOO_LARGE,
                            "the file is " + size + " bytes, the limit is " + config.maxFileBytes());
        }
        if (!session.tryAcquireRequest(ref)) {
            return;
        }
        Connection connection = session.connection();
        StoredFile upload = new StoredFile(newFileId(), connection.userId(), name,
                contentType == null ? DEFAULT_CONTENT_TYPE : contentType, size, 0, System.currentTimeMillis(), 0);
        reply(session, ref, files.create(upload, clientId, config.maxOpenUploads()), this::toJson);
    }

    /** Handles {@code upload.status} on the connection's event loop. */
    void status(Session session, String ref, JsonNode request) {
        String fileId = fileId(request);
        if (session.tryAcquireRequest(ref)) {
            reply(session, ref, files.status(fileId, session.connection().userId()), this::toJson);
        }
    }

    /** Handles {@code upload.cancel} on the connection's event loop. */
    void cancel(Session session, String ref, JsonNode request) {
        String fileId = fileId(request);
        if (!session.tryAcquireRequest(ref)) {
            return;
        }
        ObjectNode cancelled = OutboundMessages.JSON.createObjectNode().put("fileId", fileId).put("cancelled", true);
        reply(session, ref, files.cancel(fileId, session.connection().userId()), ignored -> cancelled);
    }

    /**
     * Handles one chunk on the connection's event loop: {@code header} is the frame's parsed header,
     * {@code data} the bytes after it (read here: the frame is released when this returns).
     */
    void chunk(Session session, String ref, JsonNode header, ByteBuf data) {
        String fileId = fileId(header);
        long offset = RequestFields.requiredSeq(header, "offset");
        int length = data.readableBytes();
        if (length == 0 || length > chunkBytes) {
            throw new RequestRejectedException(ErrorCode.INVALID_FIELD,
                    "a chunk carries 1-" + chunkBytes + " bytes of data, not " + length);
        }
        if (session.isStoringChunk()) {
            session.refuseChunkWhileStoring(ref);
            return;
        }
        if (!session.tryAcquireSend(ref)) {
            return;
        }
        if (queuedChunkBytes.addAndGet(length) > config.maxQueuedChunkBytes()) {
            queuedChunkBytes.addAndGet(-length);
            session.reject(ref, ErrorCode.STORE_BUSY, "the node has as many chunks waiting to be stored as it may hold; retry later");
            return;
        }
        byte[] bytes = ByteBufUtil.getBytes(data);
        session.setStoringChunk(true);
        Connection connection = session.connection();
        CompletableFuture<StoredFile> stored = files.appendChunk(fileId, connection.userId(), offset, bytes);
        stored.whenComplete((upload, error) -> queuedChunkBytes.addAndGet(-length));
        stored.whenCompleteAsync((upload, error) -> {
            session.setStoringChunk(false);
            if (error != null) {
                session.replyFailure(ref, error);
                return;
            }
            metrics.fileBytesUploaded(length);
            if (upload.isComplete()) {
                metrics.fileUploadCompleted();
            }
            connection.reply(OutboundMessages.result(ref, toJson(upload)));
        }, connection.eventLoop());
    }

    /** Answers the request {@code ref} on the connection's event loop once {@code answer} completes. */
    private static <T> void reply(Session session, String ref, CompletableFuture<T> answer, Function<T, JsonNode> toJson) {
        Connection connection = session.connection();
        answer.whenCompleteAsync((value, error) -> {
            if (error != null) {
                session.replyFailure(ref, error);
            } else {
                connection.reply(OutboundMessages.result(ref, toJson.apply(value)));
            }
        }, connection.eventLoop());
    }

    private static String fileId(JsonNode request) {
        return RequestFields.requiredString(request, "fileId", Identifiers::isValidFileId,
                "a file id ('f-' and 32 hex digits)");
    }

    /** 128 random bits: a file id names a file to nobody who was not given it. */
    private String newFileId() {
        byte[] bits = new byte[16];
        random.nextBytes(bits);
        return "f-" + HexFormat.of().formatHex(bits);
    }

    private JsonNode toJson(StoredFile file) {
        ObjectNode node = OutboundMessages.JSON.createObjectNode();
        node.put("fileId", file.id());
        node.put("name", file.name());
        node.put("size", file.size());
        node.put("contentType", file.contentType());
        node.put("offset", file.received());
        node.put("chunkBytes", chunkBytes);
        node.put("complete", file.isComplete());
        return node;
    }
}
