package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.protocol.ClientIds;
import dev.switchboard.protocol.MessageType;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Java client of a Switchboard server: keeps one WebSocket connection up (reconnecting with backoff),
 * resumes the inbox by seq after every reconnect, resends unconfirmed messages with their client id, and
 * de-duplicates what it delivers, so the application sees every inbox entry once and in order
 * (docs/PROTOCOL.md section 4). Topic subscriptions are kept across reconnects and recovered by offset,
 * so each topic's publications arrive once and in order too, or a recovery failure says what was lost.
 *
 * <p>Threading: every method may be called from any thread and none blocks, except {@link #close()},
 * which waits up to a few seconds. All connection state lives on one event loop thread (of the shared
 * group from {@link ClientConfig#eventLoopGroup()}, or of a one-thread group the client owns); listener
 * callbacks and future completions run there too, so dependent stages must not block: use the
 * {@code …Async} variants for slow work, and never {@code join()} inside a listener.
 *
 * <p>Limits: sends are kept in memory only (bounded by {@link ClientConfig#maxPendingSends()}), so
 * unconfirmed sends are lost if the process dies; requests are not queued while disconnected.
 */
public final class SwitchboardClient implements AutoCloseable {
    private static final long CLOSE_WAIT_MILLIS = 2000;
    private static final int MAX_TOPIC_LENGTH = 128;

    private final EventLoopGroup ownGroup;
    private final EventLoop eventLoop;
    private final ClientEngine engine;
    private final ClientConfig config;
    private final AtomicLong refCounter = new AtomicLong();
    private final AtomicBoolean closeCalled = new AtomicBoolean();

    /**
     * Creates an IDLE client; nothing is connected until {@link #connect()}.
     *
     * @param config   settings; see {@link ClientConfig#builder}
     * @param listener callbacks, or null for none
     */
    public SwitchboardClient(ClientConfig config, ClientListener listener) {
        Objects.requireNonNull(config, "config");
        if (config.eventLoopGroup() == null) {
            ownGroup = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("switchboard-client", true),
                    NioIoHandler.newFactory());
            eventLoop = ownGroup.next();
        } else {
            ownGroup = null;
            eventLoop = config.eventLoopGroup().next();
        }
        engine = new ClientEngine(config, listener, eventLoop, () -> nextRef("u"));
        this.config = config;
    }

    /**
     * Starts connecting in the background. From then on the client reconnects by itself until
     * {@link #close()}, a kick or a ban (close code 4003 or 4004) or a refused authentication. Calling it
     * again, or after close, does nothing.
     */
    public void connect() {
        execute(engine::connect, null);
    }

    /**
     * Completes when the first {@code welcome} arrives (state CONNECTED); fails with
     * {@link SwitchboardException} if the client is closed before that.
     */
    public CompletableFuture<Void> connected() {
        return engine.connectedFuture().copy();
    }

    /**
     * Sends {@code body} to {@code to} with a new client id, a time-ordered UUID (version 7); see
     * {@link #send(Target, Object, String)}.
     */
    public CompletableFuture<SendReceipt> send(Target to, Object body) {
        return send(to, body, ClientIds.next());
    }

    /**
     * Sends a durable chat message. It is queued while disconnected and resent with the same
     * {@code clientId} after every reconnect until the server confirms it, so it is stored exactly once.
     * Sends are transmitted in the order of the calls (for calls from several threads: the order in which
     * they reach the client's event loop), paced to the send rate the server advertises in {@code welcome},
     * so a burst of sends is spread out instead of being refused and stored out of order.
     *
     * @param to       recipient user or group
     * @param body     any JSON value: String, Number, Boolean, Map, List, JsonNode or a Jackson-serializable
     *                 object; null is sent as JSON null
     * @param clientId unique per sender (1–64 chars); reusing one returns the original's receipt with
     *                 {@code duplicate = true}. Prefer time-ordered ids (UUID version 7, ULID): the server
     *                 indexes them for resends, and ids made in order cost it less (docs/PROTOCOL.md)
     * @return completes with the receipt; fails with {@link SwitchboardException} on a non-retryable error
     *         reply (its {@link SwitchboardException#code() code}), when {@code maxPendingSends} sends are
     *         pending, or when the client closes first
     * @throws IllegalArgumentException when Jackson cannot serialize {@code body}
     */
    public CompletableFuture<SendReceipt> send(Target to, Object body, String clientId) {
        return send(to, body, clientId, null);
    }

    /**
     * Sends a durable chat message that carries a file uploaded with {@link #uploadFile}: its recipients
     * get it as {@link InboxMessage#file()} and may then download it ({@link #downloadFile}). As
     * {@link #send(Target, Object, String)} otherwise; {@code body} may be null or a caption.
     *
     * @param file a complete upload of this user; fails with {@code file_not_found} when it is not
     */
    public CompletableFuture<SendReceipt> sendFile(Target to, Object body, FileInfo file) {
        Objects.requireNonNull(file, "file");
        return send(to, body, ClientIds.next(), file.id());
    }

    private CompletableFuture<SendReceipt> send(Target to, Object body, String clientId, String fileId) {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(clientId, "clientId");
        String ref = nextRef("s");
        String frame = Wire.send(ref, clientId, to, Wire.body(body), fileId);
        CompletableFuture<SendReceipt> future = new CompletableFuture<>();
        PendingSend send = new PendingSend(ref, clientId, frame, future);
        execute(() -> engine.submitSend(send), future);
        return future;
    }

    /**
     * Sends a request of any type with a fresh {@code ref} and waits for the reply with that ref.
     * Requests are not queued: while the client is not CONNECTED they fail at once, and a request whose
     * connection drops before the reply fails too (it is not resent, since it might have taken effect).
     * There is no reply timeout of its own beyond the connection's liveness check; add one with
     * {@link CompletableFuture#orTimeout} if needed.
     *
     * @param type   the wire type, e.g. {@code group.join}
     * @param fields the other fields, or null; {@code type} and {@code ref} in it are replaced
     * @return completes with the reply's {@code data} (JSON null for replies without data, such as
     *         {@code pong}); fails with {@link SwitchboardException}, carrying the server's error code for
     *         an {@code error} reply
     */
    public CompletableFuture<JsonNode> request(String type, ObjectNode fields) {
        Objects.requireNonNull(type, "type");
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        if (engine.state() != ConnectionState.CONNECTED) {
            future.completeExceptionally(new SwitchboardException("not connected (state " + engine.state() + ")"));
            return future;
        }
        String ref = nextRef("r");
        String frame = Wire.request(type, ref, fields == null ? null : fields.deepCopy());
        execute(() -> engine.submitRequest(ref, frame, future), future);
        return future;
    }

    /**
     * Creates a group with this user as a member.
     *
     * @param groupId the id, or null to let the server generate one
     * @param name    display name, or null
     * @param members other members to add, or null
     * @return {@code {groupId, name, members}}; fails with {@code group_exists} when the id is taken
     */
    public CompletableFuture<JsonNode> createGroup(String groupId, String name, Collection<String> members) {
        ObjectNode fields = Wire.MAPPER.createObjectNode();
        if (groupId != null) {
            fields.put("groupId", groupId);
        }
        if (name != null) {
            fields.put("name", name);
        }
        if (members != null) {
            ArrayNode array = fields.putArray("members");
            members.forEach(array::add);
        }
        return request(MessageType.GROUP_CREATE.wireName(), fields);
    }

    /** Joins a group; completes with {@code {groupId, members}}. */
    public CompletableFuture<JsonNode> joinGroup(String groupId) {
        return groupRequest(MessageType.GROUP_JOIN, groupId);
    }

    /** Leaves a group; completes with {@code {groupId, members}}. */
    public CompletableFuture<JsonNode> leaveGroup(String groupId) {
        return groupRequest(MessageType.GROUP_LEAVE, groupId);
    }

    /** Lists a group's members (members only); completes with {@code {groupId, name, members}}. */
    public CompletableFuture<JsonNode> groupMembers(String groupId) {
        return groupRequest(MessageType.GROUP_MEMBERS, groupId);
    }

    /** Lists this user's groups; completes with {@code {groups: [{groupId, name}]}}. */
    public CompletableFuture<JsonNode> listGroups() {
        return request(MessageType.GROUP_LIST.wireName(), null);
    }

    /** Sends an application {@code ping}; completes when the {@code pong} arrives. */
    public CompletableFuture<Void> ping() {
        return request(MessageType.PING.wireName(), null).thenApply(pong -> null);
    }

    /** Subscribes to {@code topic} from the server's newest position; see {@link #subscribe(String, TopicPosition)}. */
    public CompletableFuture<JsonNode> subscribe(String topic) {
        return subscribe(topic, null);
    }

    /**
     * Subscribes to a topic: its publications go to {@link ClientListener#onPublication}, once each and in
     * offset order. The subscription is kept until {@link #unsubscribe}: it may be made before
     * {@link #connect()} or while disconnected (it is sent after the next {@code welcome}), and after every
     * reconnect the client subscribes again with {@code recover} from the last position it delivered, so
     * the publications it missed are replayed. When the server cannot replay them,
     * {@link ClientListener#onRecoveryFailed} says so. A topic already subscribed stays as it is
     * ({@code since} is ignored) and the returned future follows its first reply.
     *
     * @param topic 1–128 characters of {@code A-Z a-z 0-9 _ . : @ / -}
     * @param since a position the application kept (e.g. from {@link #topicPosition} or
     *              {@link Publication#position()} before a restart) to recover from, or null to start at the
     *              server's newest publication
     * @return completes with the first {@code subscribe} reply's data
     *         {@code {topic, epoch, offset, history, recovered?, recoveryFailure?}}; fails with
     *         {@link SwitchboardException} carrying the server's error code ({@code forbidden},
     *         {@code subscription_limit}, …: the subscription has ended), or when {@link #unsubscribe} or
     *         {@link #close()} comes first
     * @throws IllegalArgumentException when {@code topic} is not a valid topic name
     */
    public CompletableFuture<JsonNode> subscribe(String topic, TopicPosition since) {
        requireValidTopic(topic);
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        execute(() -> engine.subscribe(topic, since, future), future);
        return future;
    }

    /**
     * Ends the subscription to {@code topic}: no publication of it reaches the listener after this call
     * has reached the client's event loop. Idempotent.
     *
     * @return completes with the server's reply data {@code {topic}}, or at once when not connected
     * @throws IllegalArgumentException when {@code topic} is not a valid topic name
     */
    public CompletableFuture<JsonNode> unsubscribe(String topic) {
        requireValidTopic(topic);
        CompletableFuture<JsonNode> future = new CompletableFuture<>();
        execute(() -> engine.unsubscribe(topic, future), future);
        return future;
    }

    /**
     * Publishes {@code data} on {@code topic}. Like {@link #request}, it is not queued and not resent: it
     * fails at once unless CONNECTED, and when the connection drops before the reply (the publication may
     * or may not have been made). Publishing does not require a subscription.
     *
     * @param data any JSON value, as for {@link #send(Target, Object)}
     * @return completes with {@code {topic, epoch, offset}}; fails with {@link SwitchboardException}, with the
     *         code {@code forbidden} when this user may not publish there
     * @throws IllegalArgumentException when {@code topic} is not a valid topic name or Jackson cannot
     *                                  serialize {@code data}
     */
    public CompletableFuture<JsonNode> publish(String topic, Object data) {
        requireValidTopic(topic);
        ObjectNode fields = Wire.MAPPER.createObjectNode().put("topic", topic);
        fields.set("data", Wire.body(data));
        return request(MessageType.PUBLISH.wireName(), fields);
    }

    /**
     * The position this client has reached in {@code topic}: every publication up to it was delivered (or
     * declared lost by {@link ClientListener#onRecoveryFailed}). Null when the topic is not subscribed or
     * its first reply has not arrived. Keep it to resume with {@link #subscribe(String, TopicPosition)}.
     */
    public TopicPosition topicPosition(String topic) {
        return engine.topicPosition(topic);
    }

    /** The topics subscribed, or being subscribed, now. */
    public Set<String> subscriptions() {
        return engine.subscribedTopics();
    }

    /**
     * Asks the server to replay the inbox after {@code afterSeq} on the live connection (ignored while
     * disconnected). It does not move {@link #lastSeq()}: replayed entries at or below it are suppressed
     * as duplicates, so this never makes the listener see an entry twice.
     */
    public void resume(long afterSeq) {
        if (afterSeq < 0) {
            throw new IllegalArgumentException("afterSeq must be >= 0, got " + afterSeq);
        }
        execute(() -> engine.resume(afterSeq), null);
    }

    /**
     * Uploads {@code content} as a file in chunks over the connection (docs/PROTOCOL.md section 11), for
     * {@link #sendFile(Target, Object, FileInfo)}. Chunks go out one at a time, each paced like a send, and the
     * upload survives reconnects: after one it asks the server how far it got and goes on from there.
     * Uploads are not queued while the client has never connected; they wait for its first welcome.
     * Cancelling the returned future stops the upload and asks the server to delete what it has of it
     * ({@code upload.cancel}), as does a failure that cannot be retried.
     *
     * @param name        the file's name (1–255 chars, no {@code /} or {@code \})
     * @param contentType its media type, or null for {@code application/octet-stream}
     * @return completes with the stored file; fails with {@link SwitchboardException}: {@code file_too_large},
     *         {@code upload_limit}, {@code invalid_field} (a name or type the server refuses), or the client closing
     */
    public CompletableFuture<FileInfo> uploadFile(byte[] content, String name, String contentType) {
        Objects.requireNonNull(content, "content");
        return upload(UploadSource.of(content), name, contentType);
    }

    /**
     * {@link #uploadFile(byte[], String, String)} of the file at {@code path}, under its file name, read a
     * chunk at a time (it must not change while it uploads).
     *
     * @throws java.io.UncheckedIOException when the file cannot be opened
     */
    public CompletableFuture<FileInfo> uploadFile(Path path, String contentType) {
        Objects.requireNonNull(path, "path");
        try {
            return upload(UploadSource.of(path), path.getFileName().toString(), contentType);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private CompletableFuture<FileInfo> upload(UploadSource source, String name, String contentType) {
        Objects.requireNonNull(name, "name");
        CompletableFuture<FileInfo> result = new CompletableFuture<>();
        execute(() -> engine.upload(source, name, contentType, result), result);
        result.whenComplete((file, error) -> {
            if (error != null) {
                source.close(); // also when the task never ran: the client was closed
            }
        });
        return result;
    }

    /**
     * Where {@code file} is downloaded: {@code GET /files/{id}} on this client's server, without
     * credentials (send {@code Authorization: Bearer <token>}, or add {@code ?token=}).
     */
    public URI fileUri(FileInfo file) {
        return FileDownloads.fileUri(config.serverUri(), file.id());
    }

    /**
     * Downloads {@code file} (sent to this user, or uploaded by them) into {@code target}, authenticated as
     * this client's connection is. Runs on the JDK HTTP client's threads.
     *
     * @return completes with {@code target}; fails with {@link SwitchboardException}, whose
     *         {@link SwitchboardException#httpStatus()} is 404 for a file this user may not read
     */
    public CompletableFuture<Path> downloadFile(FileInfo file, Path target) {
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(target, "target");
        return FileDownloads.download(config, file, target);
    }

    public ConnectionState state() {
        return engine.state();
    }

    /** The highest contiguous inbox seq processed (delivered or truncated), or the configured seed; 0 before any. */
    public long lastSeq() {
        return engine.lastSeq();
    }

    /** This device's id as the server knows it (from {@code welcome}); null before the first welcome. */
    public String deviceId() {
        return engine.deviceId();
    }

    /** This user's id (from {@code welcome}); null before the first welcome. */
    public String userId() {
        return engine.userId();
    }

    public ClientStats stats() {
        return engine.stats();
    }

    /**
     * Closes for good: acknowledges what was processed, closes the connection with 1000, fails pending
     * sends and requests with {@link SwitchboardException}, and shuts down the event loop group if the
     * client created it. Waits up to about two seconds for the server to answer the close (not when
     * called on the client's own event loop, e.g. from a listener). Idempotent.
     */
    @Override
    public void close() {
        if (!closeCalled.compareAndSet(false, true)) {
            return;
        }
        CompletableFuture<Void> done = new CompletableFuture<>();
        try {
            eventLoop.execute(() -> engine.close().whenComplete((ignored, error) -> done.complete(null)));
        } catch (RejectedExecutionException e) {
            done.complete(null);
        }
        boolean mayWait = !eventLoop.inEventLoop();
        if (mayWait) {
            awaitQuietly(done);
        }
        if (ownGroup != null) {
            var terminated = ownGroup.shutdownGracefully(0, CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            if (mayWait) {
                terminated.awaitUninterruptibly(CLOSE_WAIT_MILLIS);
            }
        }
    }

    private CompletableFuture<JsonNode> groupRequest(MessageType type, String groupId) {
        Objects.requireNonNull(groupId, "groupId");
        return request(type.wireName(), Wire.MAPPER.createObjectNode().put("groupId", groupId));
    }

    private static void requireValidTopic(String topic) {
        Objects.requireNonNull(topic, "topic");
        if (topic.isEmpty() || topic.length() > MAX_TOPIC_LENGTH) {
            throw new IllegalArgumentException("topic must have 1-" + MAX_TOPIC_LENGTH + " characters, got "
                    + topic.length());
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || "_.:@/-".indexOf(c) >= 0;
            if (!allowed) {
                throw new IllegalArgumentException("topic may contain only A-Z a-z 0-9 _ . : @ / -, got " + topic);
            }
        }
    }

    private String nextRef(String prefix) {
        return prefix + refCounter.incrementAndGet();
    }

    /** Runs {@code task} on the event loop; if the loop is shut down, fails {@code future} (when given). */
    private void execute(Runnable task, CompletableFuture<?> future) {
        try {
            eventLoop.execute(task);
        } catch (RejectedExecutionException e) {
            if (future != null) {
                future.completeExceptionally(new SwitchboardException("client is closed", e));
            }
        }
    }

    private static void awaitQuietly(CompletableFuture<Void> done) {
        try {
            done.get(CLOSE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // Closing is best effort: the channel is dropped by the engine's own timer anyway.
        }
    }
}
