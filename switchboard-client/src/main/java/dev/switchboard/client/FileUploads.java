package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ClientIds;
import dev.switchboard.protocol.ErrorCode;
import dev.switchboard.protocol.MessageType;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file uploads in progress (docs/PROTOCOL.md section 11), each a small state machine: start the
 * upload, then send its chunks, each once the previous one is acknowledged. Uploads outlive
 * connections: when one drops, an upload waits for the next {@code welcome} and asks the server where it
 * got to ({@code upload.status}) before it goes on, so no chunk is sent twice and none is skipped. Every
 * chunk takes a token of the send pacing, as a send does.
 *
 * <p>The server stores one chunk of a connection at a time and refuses another that arrives meanwhile,
 * so the uploads take turns: one chunk is out at a time, whichever upload it is of, and an upload whose
 * chunk was answered goes to the back of the line. A chunk's bytes are read on a thread of their own
 * ({@code switchboard-upload-reader}), not on the event loop: a file on a slow disk must not hold up the
 * connection.
 *
 * <p>Confined to the client's event loop, but for the reads.
 */
final class FileUploads {
    private static final Logger log = LoggerFactory.getLogger(FileUploads.class);

    private final OutboundMessages outbound;
    private final Backoff retryBackoff;
    private final ScheduledExecutorService scheduler;
    private final Supplier<String> refs;
    /** In turn order: the next chunk goes to the first upload that has one to send. */
    private final Set<Upload> uploads = new LinkedHashSet<>();
    /** The upload whose chunk is being read or is out, or null: the connection's one chunk at a time. */
    private Upload chunkTurn;
    private boolean connected;
    private SwitchboardException stoppedBy;

    FileUploads(OutboundMessages outbound, Backoff retryBackoff, ScheduledExecutorService scheduler, Supplier<String> refs) {
        this.outbound = outbound;
        this.retryBackoff = retryBackoff;
        this.scheduler = scheduler;
        this.refs = refs;
    }

    /** Starts uploading {@code source}; {@code result} completes with the file once its last chunk is stored. */
    void start(UploadSource source, String name, String contentType, CompletableFuture<FileInfo> result) {
        if (stoppedBy != null) {
            source.close();
            result.completeExceptionally(stoppedBy);
            return;
        }
        Upload upload = new Upload(source, name, contentType, result);
        uploads.add(upload);
        // The application cancelled the future: stop, and ask the server to delete what it has.
        result.whenComplete((file, error) -> {
            if (result.isCancelled()) {
                scheduler.execute(() -> upload.abandon(null));
            }
        });
        if (connected) {
            upload.next();
        }
    }

    /** A {@code welcome} arrived: every upload goes on from where the server has it. */
    void onConnected() {
        connected = true;
        advanceAll();
    }

    /** Lets every upload that can send something do so, in turn order. */
    private void advanceAll() {
        for (Upload upload : new ArrayList<>(uploads)) {
            upload.next();
        }
    }

    void onDisconnected() {
        connected = false; // the replies in flight fail with the connection; each upload then waits
    }

    /** The client is closed: every upload fails with {@code cause}. */
    void failAll(SwitchboardException cause) {
        stoppedBy = cause;
        connected = false;
        for (Upload upload : new ArrayList<>(uploads)) {
            upload.fail(cause);
        }
    }

    /** A chunk's binary frame: the header's length (2 bytes, big-endian), the JSON header, then the data. */
    static byte[] chunkFrame(String ref, String fileId, long offset, byte[] data) {
        ObjectNode header = Wire.MAPPER.createObjectNode();
        header.put("type", MessageType.UPLOAD_CHUNK.wireName());
        header.put("ref", ref);
        header.put("fileId", fileId);
        header.put("offset", offset);
        byte[] headerBytes = header.toString().getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + headerBytes.length + data.length)
                .putShort((short) headerBytes.length).put(headerBytes).put(data).array();
    }

    /** The thread that reads chunks from the uploads' sources, shared by every client of the process. */
    private static final class Reader {
        static final ExecutorService EXECUTOR = Executors.newSingleThreadExecutor(runnable -> {
            Thread thread = new Thread(runnable, "switchboard-upload-reader");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** One upload. */
    private final class Upload {
        private final UploadSource source;
        private final String name;
        private final String contentType;
        private final CompletableFuture<FileInfo> result;
        /** upload.start's client id, the same for every try: a start sent again finds the upload it made. */
        private final String startKey = ClientIds.next();
        private String fileId;
        /** True when the server's offset must be asked before the next chunk (after a reconnect or a refusal). */
        private boolean offsetUnknown;
        private long offset;
        private int chunkBytes;
        /** A request or chunk is out; its answer (or the connection's end) comes before anything else is sent. */
        private boolean inFlight;
        private int retries;

        Upload(UploadSource source, String name, String contentType, CompletableFuture<FileInfo> result) {
            this.source = source;
            this.name = name;
            this.contentType = contentType;
            this.result = result;
        }

        /** Sends what comes next, unless something is out already or the connection is down. */
        void next() {
            if (inFlight || result.isDone() || !connected) {
                return;
            }
            inFlight = true;
            CompletableFuture<JsonNode> reply = new CompletableFuture<>();
            if (fileId == null) {
                ObjectNode fields = Wire.MAPPER.createObjectNode().put("clientId", startKey).put("name", name)
                        .put("size", source.size());
                if (contentType != null) {
                    fields.put("contentType", contentType);
                }
                String ref = refs.get();
                outbound.submitRequest(ref, Wire.request(MessageType.UPLOAD_START.wireName(), ref, fields), reply);
            } else if (offsetUnknown) {
                String ref = refs.get();
                outbound.submitRequest(ref, Wire.request(MessageType.UPLOAD_STATUS.wireName(), ref,
                        Wire.MAPPER.createObjectNode().put("fileId", fileId)), reply);
            } else if (chunkTurn != null && chunkTurn != this) {
                inFlight = false; // another upload's chunk is out: this one goes on when it is answered
                return;
            } else {
                chunkTurn = this;
                long at = offset;
                int length = (int) Math.min(chunkBytes, source.size() - offset);
                CompletableFuture.supplyAsync(() -> source.read(at, length), Reader.EXECUTOR)
                        .whenCompleteAsync((data, error) -> {
                            if (error != null) {
                                inFlight = false;
                                Throwable cause = error.getCause() != null ? error.getCause() : error;
                                fail(new SwitchboardException("cannot read the file to upload: " + cause.getMessage(), cause));
                            } else if (result.isDone()) {
                                inFlight = false;
                                endTurn();
                            } else {
                                String ref = refs.get();
                                outbound.submitChunk(ref, chunkFrame(ref, fileId, at, data), reply);
                            }
                        }, scheduler);
            }
            reply.whenComplete(this::answered); // completed on the event loop
        }

        /** Gives the connection's chunk turn up, if this upload has it, and lets the next upload take it. */
        private void endTurn() {
            if (releaseTurn()) {
                advanceAll();
            }
        }

        /**
         * Gives the connection's chunk turn up if this upload has it, going to the back of the line if it is
         * still under way; returns whether it had the turn.
         */
        private boolean releaseTurn() {
            if (chunkTurn != this) {
                return false;
            }
            chunkTurn = null;
            if (uploads.remove(this)) {
                uploads.add(this);
            }
            return true;
        }

        private void answered(JsonNode data, Throwable error) {
            inFlight = false;
            releaseTurn(); // a chunk's answer: the turn passes on
            handleAnswer(data, error);
            advanceAll(); // what can go next does, in turn order: a waiting upload's chunk before this one's
        }

        private void handleAnswer(JsonNode data, Throwable error) {
            if (result.isDone()) {
                return;
            }
            if (error == null) {
                retries = 0;
                fileId = data.path("fileId").asText();
                chunkBytes = data.path("chunkBytes").asInt();
                offset = data.path("offset").asLong();
                offsetUnknown = false;
                if (data.path("complete").asBoolean()) {
                    uploads.remove(this);
                    source.close();
                    result.complete(FileInfo.from(data));
                } else if (chunkBytes < 1) {
                    fail(new SwitchboardException("the server gave no chunk size: " + data));
                }
                return;
            }
            SwitchboardException failure = error instanceof SwitchboardException e ? e
                    : new SwitchboardException("upload failed: " + error, error);
            ErrorCode code = failure.code();
            if (code == null) { // the connection ended (or was not up): go on after the next welcome
                offsetUnknown = fileId != null;
                if (stoppedBy == null && connected) {
                    scheduleRetry(); // "not connected" while the state still said connected: try again shortly
                }
            } else if (code == ErrorCode.UPLOAD_OFFSET) {
                offsetUnknown = true; // the server has more (or less) than we thought: ask, then go on
            } else if (code.isRetryable()) {
                scheduleRetry();
            } else {
                fail(failure);
            }
        }

        private void scheduleRetry() {
            long delayNanos = retryBackoff.delay(retries++).toNanos();
            log.debug("upload of {} waits {} ms before trying again", name, TimeUnit.NANOSECONDS.toMillis(delayNanos));
            inFlight = true; // nothing else goes out meanwhile
            scheduler.schedule(() -> {
                inFlight = false;
                next();
            }, delayNanos, TimeUnit.NANOSECONDS);
        }

        /** Ends the upload with {@code cause}, and asks the server to delete it: it will not be finished. */
        void fail(SwitchboardException cause) {
            abandon(cause);
        }

        /**
         * Ends the upload, failing its result with {@code cause} (null: it was cancelled), and sends
         * {@code upload.cancel} for what the server has of it, so that it stops counting towards the user's
         * open uploads. Best effort: without a connection, or on a server that does not know the request, the
         * server deletes it after {@code files.incompleteTtlSeconds}.
         */
        void abandon(SwitchboardException cause) {
            if (!uploads.remove(this)) {
                return;
            }
            source.close();
            if (cause != null) {
                result.completeExceptionally(cause);
            }
            if (fileId != null && connected && stoppedBy == null) {
                String ref = refs.get();
                outbound.submitRequest(ref, Wire.request(MessageType.UPLOAD_CANCEL.wireName(), ref,
                        Wire.MAPPER.createObjectNode().put("fileId", fileId)), new CompletableFuture<>());
            }
            endTurn();
        }
    }
}
