package dev.switchboard.server.gateway;

import dev.switchboard.server.auth.HandshakeRejectedException;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.store.Ban;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshakerFactory;
import io.netty.handler.codec.http.websocketx.WebSocketVersion;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ScheduledFuture;

/**
 * Everything before the upgrade: health endpoints, the web page, and the admission of WebSocket
 * requests — version, Origin, the client address's handshake rate and connection count, the token,
 * bans, the user's connection count and the node's capacity are all checked here, cheapest first, so a
 * refused request gets a plain HTTP answer and is never upgraded. An admitted request is answered by
 * Netty's handshaker with the right endpoint handler installed behind it, and this handler leaves
 * the pipeline.
 */
final class HttpRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    static final String WEBSOCKET_PATH = "/ws";
    static final String ECHO_PATH = "/ws/echo";

    private final GatewayServices services;
    private final StaticResources staticResources;
    private final WebSocketServerHandshakerFactory handshakerFactory;
    private final ScheduledFuture<?> httpDeadline;

    /**
     * @param httpDeadline closes the connection if it is still plain HTTP after the absolute handshake
     *                     deadline; cancelled once upgraded, so an idle WebSocket holds no timer for it
     */
    HttpRequestHandler(GatewayServices services, StaticResources staticResources,
                       WebSocketServerHandshakerFactory handshakerFactory, ScheduledFuture<?> httpDeadline) {
        super(false);
        this.services = services;
        this.staticResources = staticResources;
        this.handshakerFactory = handshakerFactory;
        this.httpDeadline = httpDeadline;
    }

    /** Whole seconds a rate-limited client is told to wait: the bucket refills one handshake at a time. */
    private static final String RETRY_AFTER_SECONDS = "1";
    private static final String FORWARDED_FOR = "X-Forwarded-For";

    /** A connection that ends as plain HTTP (refused, a page, a probe) must not wait for its deadline timer. */
    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        httpDeadline.cancel(false);
        super.channelInactive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        try {
            route(ctx, request);
        } finally {
            request.release();
        }
    }

    private void route(ChannelHandlerContext ctx, FullHttpRequest request) {
        if (!request.decoderResult().isSuccess()) {
            services.metrics().handshake("bad_request");
            HttpResponses.sendError(ctx, request, 400, "bad_request", "malformed HTTP request");
            return;
        }
        String path = new QueryStringDecoder(request.uri()).path();
        boolean echo = ECHO_PATH.equals(path) && services.config().server().echoEndpoint();
        if (WEBSOCKET_PATH.equals(path) || echo) {
            upgrade(ctx, request, echo);
            return;
        }
        if (request.method() != HttpMethod.GET && request.method() != HttpMethod.HEAD) {
            HttpResponses.sendError(ctx, request, 405, "method_not_allowed", "only GET is served");
            return;
        }
        switch (path) {
            case "/health/live" -> HttpResponses.sendJson(ctx, request, 200, "{\"status\":\"up\"}");
            case "/health/ready" -> ready(ctx, request);
            default -> staticResources.find(path).ifPresentOrElse(
                    resource -> HttpResponses.send(ctx, request,
                            HttpResponses.response(200, resource.contentType(), resource.body()), true),
                    () -> HttpResponses.sendError(ctx, request, 404, "not_found", "no such path: " + path));
        }
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
            HttpResponses.sendError(ctx, request, 405, "method_not_allowed", "WebSocket upgrade requires GET");
            return;
        }
        if (!request.headers().containsValue(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE, true)
                || !request.headers().contains(HttpHeaderNames.UPGRADE, HttpHeaderValues.WEBSOCKET, true)
                || !request.headers().contains(HttpHeaderNames.SEC_WEBSOCKET_KEY)) {
            services.metrics().handshake("bad_request");
            HttpResponses.sendError(ctx, request, 400, "bad_request", "not a WebSocket upgrade request");
            return;
        }
        String version = request.headers().get(HttpHeaderNames.SEC_WEBSOCKET_VERSION);
        if (!WebSocketVersion.V13.toHttpHeaderValue().equals(version)) {
            services.metrics().handshake("unsupported_version");
            var response = HttpResponses.response(HttpResponseStatus.UPGRADE_REQUIRED.code(), "application/json",
                    "{\"error\":\"unsupported_version\",\"reason\":\"WebSocket version 13 only\"}".getBytes());
            response.headers().set(HttpHeaderNames.SEC_WEBSOCKET_VERSION, WebSocketVersion.V13.toHttpHeaderValue());
            HttpResponses.send(ctx, request, response, false);
            return;
        }
        String origin = request.headers().get(HttpHeaderNames.ORIGIN);
        if (!services.originPolicy().allows(origin, request.headers().get(HttpHeaderNames.HOST))) {
            services.metrics().handshake("forbidden_origin");
            HttpResponses.sendError(ctx, request, 403, "forbidden", "origin not allowed");
            return;
        }
        if (services.admission().isDraining()) {
            services.metrics().handshake("draining");
            HttpResponses.sendError(ctx, request, 503, "unavailable", "node is shutting down");
            return;
        }
        ConnectionLimits limits = services.connectionLimits();
        HandshakeRateLimiter rate = services.handshakeRate();
        String clientAddress = rate.isEnabled() || limits.limitsAddresses()
                ? services.clientAddress().resolve(ctx.channel().remoteAddress(), forwardedFor(request))
                : null; // no limit needs it: no work, no garbage per handshake
        if (clientAddress != null && !rate.tryAcquire(clientAddress, System.nanoTime())) {
            services.metrics().handshake("rate_limited");
            var response = HttpResponses.errorResponse(HttpResponseStatus.TOO_MANY_REQUESTS.code(), "rate_limited",
                    "too many handshakes from this address");
            response.headers().set(HttpHeaderNames.RETRY_AFTER, RETRY_AFTER_SECONDS);
            HttpResponses.send(ctx, request, response, false);
            return;
        }
        if (limits.isAddressFull(clientAddress)) { // before the token: a full address costs no signature check
            refuseOverLimit(ctx, request, ConnectionLimits.Refusal.ADDRESS);
            return;
        }
        Principal principal = null;
        if (!echo) {
            try {
                principal = services.authenticator().authenticate(request);
            } catch (HandshakeRejectedException e) {
                services.metrics().handshake(e.status() == 401 ? "unauthorized" : "bad_request");
                HttpResponses.sendError(ctx, request, e.status(), e.error(), e.getMessage());
                return;
            }
            Ban ban = services.moderation().activeBan(principal.userId());
            if (ban != null) {
                services.metrics().handshake("banned");
                HttpResponses.sendError(ctx, request, 403, "banned", ban.reason());
                return;
            }
        }
        WebSocketServerHandshaker handshaker = handshakerFactory.newHandshaker(request); // version 13 checked above
        String userId = principal == null ? null : principal.userId(); // null: the echo endpoint, no user
        ConnectionLimits.Refusal refusal = limits.tryAcquire(clientAddress, userId,
                principal != null && limits.isEnabled() && replacesAConnection(principal));
        if (refusal != null) {
            refuseOverLimit(ctx, request, refusal);
            return;
        }
        if (!services.admission().tryAcquire()) {
            limits.release(clientAddress, userId);
            services.metrics().handshake("capacity");
            HttpResponses.sendError(ctx, request, 503, "unavailable", "connection limit reached");
            return;
        }
        services.metrics().handshake("ok");
        httpDeadline.cancel(false);
        ctx.channel().closeFuture().addListener(services.admission().releaseOnClose());
        if (limits.isEnabled()) {
            ctx.channel().closeFuture().addListener(limits.releaseOnClose(clientAddress, userId));
        }
        WebSocketEndpointHandler endpoint = echo ? new EchoHandler(services)
                : new WebSocketSessionHandler(services, principal);
        ChannelPipeline pipeline = ctx.pipeline();
        pipeline.addLast(echo ? "echo" : "session", endpoint);
        // Netty's handshaker writes the 101 (through the compression negotiation, if any), puts the frame
        // codec where the HTTP codec was and removes the HTTP handlers once the response is out.
        handshaker.handshake(ctx.channel(), request).addListener(written -> {
            if (written.isSuccess()) {
                GatewayInitializer.removeHandshakeTimeout(pipeline);
                endpoint.upgraded();
            } else {
                ctx.channel().close();
            }
        });
        pipeline.remove(this);
    }

    /**
     * 429, not 503: a balancer retries a 503 on the next node (the node is full), but a client over its
     * own limit would only be over it there too.
     */
    private void refuseOverLimit(ChannelHandlerContext ctx, FullHttpRequest request, ConnectionLimits.Refusal refusal) {
        boolean address = refusal == ConnectionLimits.Refusal.ADDRESS;
        services.metrics().handshake(address ? "ip_limit" : "user_limit");
        HttpResponses.sendError(ctx, request, HttpResponseStatus.TOO_MANY_REQUESTS.code(), "too_many_connections",
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
