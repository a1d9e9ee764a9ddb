package dev.switchboard.server.gateway;

import dev.switchboard.server.auth.HandshakeRejectedException;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.chat.KeyedRateLimiter;
import dev.switchboard.server.store.Ban;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.DecoderException;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledFuture;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything before the upgrade: health endpoints, the web page, and the admission of WebSocket
 * requests — version, Origin, the client address's handshake rate and connection count, the token,
 * bans, the user's connection count and the node's capacity are all checked here, cheapest first, so a
 * refused request gets a plain HTTP answer and is never upgraded. An admitted chat request waits for
 * its device's state (cursor and newest seq) from the store, then is upgraded ({@link WebSocketUpgrade})
 * with the session handler in this handler's place, so the 101 and the {@code welcome} leave together.
 * A client sends nothing between its request and the 101 (RFC 6455 §4.1): a request that arrives
 * meanwhile, or frames the HTTP codec hands on as it leaves, close the connection.
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(HttpRequestHandler.class);
    static final String WEBSOCKET_PATH = "/ws";
    static final String ECHO_PATH = "/ws/echo";

    private final GatewayServices services;
    private final StaticResources staticResources;
    private final WebSocketUpgrade.Factory upgrades;
    private final ScheduledFuture<?> httpDeadline;
    /** The chat upgrade waiting for its device state, else null. */
    private SessionUpgrade pendingUpgrade;
    /** The token check an upgrade request waits for (a public-key token), and the request, retained; event loop only. */
    private CompletableFuture<Principal> awaitedAuthentication;
    private FullHttpRequest awaitedRequest;
    /** A file download has started: it answers its request and closes the connection, which serves no other. */
    private boolean downloading;

    /**
     * @param httpDeadline closes the connection if it is still plain HTTP after the absolute handshake
     *                     deadline; cancelled once upgraded, so an idle WebSocket holds no timer for it
     */
    HttpRequestHandler(GatewayServices services, StaticResources staticResources,
                       WebSocketUpgrade.Factory upgrades, ScheduledFuture<?> httpDeadline) {
        super(false);
        this.services = services;
        this.staticResources = staticResources;
        this.upgrades = upgrades;
        this.httpDeadline = httpDeadline;
    }

    /** Whole seconds a rate-limited client is told to wait: the bucket refills one handshake at a time. */
    private static final String RETRY_AFTER_SECONDS = "1";
    private static final String FORWARDED_FOR = "X-Forwarded-For";

    /** A connection that ends as plain HTTP (refused, a page, a probe) must not wait for its deadline timer. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        httpDeadline.cancel(false);
        abandonPendingUpgrade();
        super.channelInactive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object message) throws Exception {
        if (!(message instanceof FullHttpRequest)) {
            // Frames decoded from bytes that came behind the upgrade request, before its 101: at the
            // upgrade the HTTP codec hands them to the frame decoder, whose output reaches this handler.
            ReferenceCountUtil.release(message);
            abandonPendingUpgrade();
            ctx.close();
            return;
        }
        super.channelRead(ctx, message);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        try {
            if (downloading) {
                return; // pipelined behind a download: never answered, the connection closes after the file
            }
            if (pendingUpgrade != null || awaitedAuthentication != null) {
                abandonPendingUpgrade();
                ctx.close(); // a request pipelined behind an upgrade request, before its 101
                return;
            }
            route(ctx, request);
        } finally {
            request.release();
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            services.metrics().handshake("bad_request");
            HttpResponses.sendError(ctx, 400, "bad_request", "malformed HTTP request");
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        boolean echo = ECHO_PATH.equals(path) && services.config().server().echoEndpoint();
        if (WEBSOCKET_PATH.equals(path) || echo) {
            upgrade(ctx, request, echo);
            return;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            HttpResponses.sendError(ctx, 405, "method_not_allowed", "only GET is served");
            return;
        }
        if (path.startsWith(FileDownload.PATH_PREFIX)) {
            download(ctx, request, path);
            return;
        }
        switch (path) {
            case "/health/live" -> HttpResponses.sendJson(ctx, request, 200, "{\"status\":\"up\"}");
            case "/health/ready" -> ready(ctx, request);
            default -> staticResources.find(path).ifPresentOrElse(
                    resource -> HttpResponses.send(ctx, request,
                            HttpResponses.response(200, resource.contentType(), resource.body()), true),
                    () -> HttpResponses.sendError(ctx, 404, "not_found", "no such path: " + path));
        }
    }

    /**
     * A file download, admitted as a handshake is where it costs the same: refused while the node drains,
     * counted against the address's handshake rate (a token check each), and limited to
     * {@code files.maxDownloads} at once on the node.
     */
    private void download(ChannelHandlerContext ctx, FullHttpRequest request, String path) {
        if (services.admission().isDraining()) {
            HttpResponses.sendError(ctx, 503, "unavailable", "node is shutting down");
            return;
        }
        KeyedRateLimiter rate = services.handshakeRate();
        if (rate.isEnabled() && !rate.tryAcquire(services.clientAddress().resolve(ctx.channel().remoteAddress(),
                forwardedFor(request)), System.nanoTime())) {
            refuseForNow(ctx, HttpResponseStatus.TOO_MANY_REQUESTS.code(), "rate_limited", "too many requests from this address");
            return;
        }
        if (!services.downloads().tryTake(ctx.channel())) {
            refuseForNow(ctx, 503, "busy", "this node serves as many downloads as it may");
            return;
        }
        downloading = true;
        ctx.channel().config().setAutoRead(false); // a download is the connection's last request: read no more
        FileDownload.start(services, ctx, request, path, httpDeadline);
    }

    private void ready(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean draining = services.admission().isDraining();
        Map<String, Boolean> components = new LinkedHashMap<>();
        components.put("store", services.store().isHealthy());
        components.putAll(services.cluster().health());
        boolean ready = !draining && !components.containsValue(false);
        StringBuilder json = new StringBuilder("{\"status\":\"").append(ready ? "ready" : "not_ready").append('"');
        components.forEach((name, up) -> json.append(",\"").append(name).append("\":\"").append(up ? "up" : "down").append('"'));
        json.append(",\"draining\":").append(draining)
                .append(",\"node\":\"").append(services.cluster().nodeId()).append('"')
                .append(",\"connections\":").append(services.registry().size()).append('}');
        HttpResponses.sendJson(ctx, request, ready ? 200 : 503, json.toString());
    }

    private void upgrade(ChannelHandlerContext ctx, FullHttpRequest request, boolean echo) {
        if (request.method() != HttpMethod.GET) {
            services.metrics().handshake("bad_request");
            HttpResponses.sendError(ctx, 405, "method_not_allowed", "WebSocket upgrade requires GET");
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
            services.metrics().handshake("bad_request");
            HttpResponses.sendError(ctx, 400, "bad_request", "not a WebSocket upgrade request");
            return;
        }
        String version = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (!WebSocketVersion.V13.toHttpHeaderValue().equals(version)) {
            services.metrics().handshake("unsupported_version");
            var response = HttpResponses.response(HttpResponseStatus.UPGRADE_REQUIRED.code(), "application/json",
                    "{\"error\":\"unsupported_version\",\"reason\":\"WebSocket version 13 only\"}".getBytes());
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, WebSocketVersion.V13.toHttpHeaderValue());
            HttpResponses.sendAndClose(ctx, response);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (!services.originPolicy().allows(origin, request.headers().get(HttpHeaderNames.HOST))) {
            services.metrics().handshake("forbidden_origin");
            HttpResponses.sendError(ctx, 403, "forbidden", "origin not allowed");
            return;
        }
        if (refusedAsDraining(ctx)) {
            return;
        }
        ConnectionLimits limits = services.connectionLimits();
        KeyedRateLimiter rate = services.handshakeRate();
        String clientAddress = rate.isEnabled() || limits.limitsAddresses()
                ? services.clientAddress().resolve(ctx.channel().remoteAddress(), forwardedFor(request))
                : null; // no limit needs it: no work, no garbage per handshake
        if (clientAddress != null && !rate.tryAcquire(clientAddress, System.nanoTime())) {
            services.metrics().handshake("rate_limited");
            refuseForNow(ctx, HttpResponseStatus.TOO_MANY_REQUESTS.code(), "rate_limited", "too many handshakes from this address");
            return;
        }
        if (limits.isAddressFull(clientAddress)) { // before the token: a full address costs no signature check
            refuseOverLimit(ctx, ConnectionLimits.Refusal.ADDRESS);
            return;
        }
        if (echo) {
            admit(ctx, request, null, clientAddress);
            return;
        }
        CompletableFuture<Principal> authenticated = services.authenticator().authenticateAsync(request);
        if (authenticated.isDone()) {
            authenticated(ctx, request, authenticated, clientAddress);
            return;
        }
        // A public-key token's signature is being checked on a token-check thread: wait, like a pending
        // upgrade, without reading on (a request pipelined behind this one closes the connection).
        awaitedAuthentication = authenticated;
        awaitedRequest = request.retain();
        authenticated.whenCompleteAsync((principal, error) -> {
            if (awaitedAuthentication != authenticated) {
                return; // abandoned: the connection ended or broke the rule, and the request was released then
            }
            FullHttpRequest awaited = awaitedRequest;
            awaitedAuthentication = null;
            awaitedRequest = null;
            try {
                authenticated(ctx, awaited, authenticated, clientAddress);
            } catch (RuntimeException e) { // not in a handler's callback: nothing else would see it
                exceptionCaught(ctx, e);
            } finally {
                awaited.release();
            }
        }, ctx.channel().eventLoop());
    }

    /** Goes on with the upgrade once {@code authenticated} (done) says who is connecting, or refuses it. */
    private void authenticated(ChannelHandlerContext ctx, FullHttpRequest request, CompletableFuture<Principal> authenticated,
                               String clientAddress) {
        Principal principal;
        try {
            principal = authenticated.join();
        } catch (CompletionException e) {
            if (!(e.getCause() instanceof HandshakeRejectedException rejected)) {
                throw new IllegalStateException("token check failed", e.getCause()); // to exceptionCaught: logged, closed
            }
            services.metrics().handshake(rejected.status() == 401 ? "unauthorized"
                    : rejected.status() == 503 ? "token_checks_busy" : "bad_request");
            HttpResponses.sendError(ctx, rejected.status(), rejected.error(), rejected.getMessage());
            return;
        }
        if (refusedAsBanned(ctx, principal.userId())) {
            return;
        }
        admit(ctx, request, principal, clientAddress);
    }

    /** The upgrade of an authenticated request (or the echo endpoint's, with no principal): limits, then the 101. */
    private void admit(ChannelHandlerContext ctx, FullHttpRequest request, Principal principal, String clientAddress) {
        boolean echo = principal == null;
        ConnectionLimits limits = services.connectionLimits();
        WebSocketUpgrade upgrade;
        try {
            upgrade = upgrades.prepare(request); // the Connection, Upgrade, key and version headers were checked above
        } catch (RuntimeException e) { // Netty's permessage-deflate negotiation throws on a malformed parameter
            services.metrics().handshake("bad_request");
            HttpResponses.sendError(ctx, 400, "bad_request", "malformed Sec-WebSocket-Extensions");
            return;
        }
        String userId = principal == null ? null : principal.userId(); // null: the echo endpoint, no user
        ConnectionLimits.Refusal refusal = limits.tryAcquire(clientAddress, userId,
                principal != null && limits.isEnabled() && replacesAConnection(principal));
        if (refusal != null) {
            upgrade.abandon();
            refuseOverLimit(ctx, refusal);
            return;
        }
        if (!services.admission().tryAcquire()) {
            upgrade.abandon();
            limits.release(clientAddress, userId);
            services.metrics().handshake("capacity");
            HttpResponses.sendError(ctx, 503, "unavailable", "connection limit reached");
            return;
        }
        ctx.channel().closeFuture().addListener(services.admission().releaseOnClose());
        if (limits.isEnabled()) {
            ctx.channel().closeFuture().addListener(limits.releaseOnClose(clientAddress, userId));
        }
        if (echo) {
            upgradeTo(ctx, upgrade, "echo", new EchoHandler(services));
            return;
        }
        pendingUpgrade = new SessionUpgrade(services, this, ctx, principal, upgrade);
        pendingUpgrade.start();
    }

    /**
     * 403 if {@code userId} is banned. Checked at admission, and again once the device state is read
     * ({@link SessionUpgrade}), so a ban that began meanwhile is still a plain HTTP refusal.
     *
     * @return whether it refused
     */
    boolean refusedAsBanned(ChannelHandlerContext ctx, String userId) {
        Ban ban = services.moderation().activeBan(userId);
        if (ban == null) {
            return false;
        }
        services.metrics().handshake("banned");
        HttpResponses.sendError(ctx, 403, "banned", ban.reason());
        return true;
    }

    /**
     * 503 if the node is draining (shutting down), at admission and again after the device-state read.
     *
     * @return whether it refused
     */
    boolean refusedAsDraining(ChannelHandlerContext ctx) {
        if (!services.admission().isDraining()) {
            return false;
        }
        services.metrics().handshake("draining");
        HttpResponses.sendError(ctx, 503, "unavailable", "node is shutting down");
        return true;
    }

    /** Upgrades now, with {@code endpoint} in this handler's place. On the event loop. */
    void upgradeTo(ChannelHandlerContext ctx, WebSocketUpgrade upgrade, String name, WebSocketEndpointHandler endpoint) {
        services.metrics().handshake("ok");
        httpDeadline.cancel(false);
        upgrade.complete(ctx, name, endpoint);
    }

    /**
     * An error before the upgrade: an I/O error is the client going away, a corrupt frame one sent behind
     * the upgrade request before its 101 (from the frame decoder, in place before this handler leaves), a
     * TLS error a client that does not speak TLS to a TLS port or failed its handshake (scanners do it all
     * day on a public port: no stack trace for them); anything else is logged. Each closes.
     */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException || cause instanceof CorruptedWebSocketFrameException
                || (cause instanceof DecoderException && cause.getCause() instanceof SSLException)) {
            log.atDebug().setMessage("connection error before the upgrade").addKeyValue("error", cause.toString()).log();
        } else {
            log.atWarn().setMessage("unexpected error before the upgrade, closing").setCause(cause).log();
        }
        abandonPendingUpgrade();
        ctx.close();
    }

    private void abandonPendingUpgrade() {
        if (awaitedAuthentication != null) {
            services.metrics().handshake("abandoned");
            awaitedAuthentication.cancel(false); // a check still queued is skipped; its answer finds nothing to do
            awaitedAuthentication = null;
            awaitedRequest.release();
            awaitedRequest = null;
        }
        if (pendingUpgrade != null) {
            pendingUpgrade.abandon();
            pendingUpgrade = null;
        }
    }

    /**
     * 429, not 503: a balancer retries a 503 on the next node (the node is full), but a client over its
     * own limit would only be over it there too.
     */
    /** Refuses with {@code status} and {@code Retry-After}, and closes: the same request may succeed in a second. */
    private static void refuseForNow(ChannelHandlerContext ctx, int status, String error, String reason) {
        var response = HttpResponses.errorResponse(status, error, reason);
        response.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
        HttpResponses.sendAndClose(ctx, response);
    }

    private void refuseOverLimit(ChannelHandlerContext ctx, ConnectionLimits.Refusal refusal) {
        boolean address = refusal == ConnectionLimits.Refusal.ADDRESS;
        services.metrics().handshake(address ? "ip_limit" : "user_limit");
        HttpResponses.sendError(ctx, HttpResponseStatus.TOO_MANY_REQUESTS.code(), "too_many_connections",
                address ? "too many connections from this address" : "too many connections for this user");
    }

    /** Whether this node holds a connection the new one will replace (same device, or single-session). */
    private boolean replacesAConnection(Principal principal) {
        if (services.config().auth().singleSession()) {
            return !services.registry().connectionsOf(principal.userId()).isEmpty();
        }
        return services.registry().connection(principal.userId(), principal.deviceId()) != null;
    }

    /** Every {@code X-Forwarded-For} header, joined in order, or null. */
    private static String forwardedFor(FullHttpRequest request) {
        var values = request.headers().getAll(FORWARDED_FOR);
        return values.isEmpty() ? null : String.join(",", values);
    }
}
