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
 * requests — version, Origin, capacity and authentication are all checked here, so a refused
 * request gets a plain HTTP answer and is never upgraded. An admitted request is answered by
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
        if (!services.admission().tryAcquire()) {
            services.metrics().handshake("capacity");
            HttpResponses.sendError(ctx, request, 503, "unavailable", "connection limit reached");
            return;
        }
        services.metrics().handshake("ok");
        httpDeadline.cancel(false);
        ctx.channel().closeFuture().addListener(services.admission().releaseOnClose());
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
}
