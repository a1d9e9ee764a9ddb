package dev.switchboard.server.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.switchboard.server.RequestRejectedException;
import dev.switchboard.server.chat.OutboundMessages;
import dev.switchboard.server.gateway.StaticResources;
import dev.switchboard.server.store.StoreBusyException;
import dev.switchboard.server.store.StoreException;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API port's HTTP handler: {@code /metrics} and the {@code /admin} page without a key, every
 * {@code /api/v1/…} route behind the API key. Endpoints return futures; the answer is written when
 * they complete, so no store or Redis call ever blocks the event loop.
 */
@ChannelHandler.Sharable
final class ApiRequestHandler extends SimpleChannelInboundHandler<FullHttpRequest> {
    private static final Logger log = LoggerFactory.getLogger(ApiRequestHandler.class);
    static final String DEV_API_KEY = "dev-api-key";

    private final ApiServices services;
    private final ApiRouter router;
    private final List<byte[]> keys;
    private final StaticResources adminPage = new StaticResources("/admin");

    ApiRequestHandler(ApiServices services) {
        this.services = services;
        List<String> configured = services.config().api().keys();
        List<String> accepted = configured.isEmpty() && services.config().auth().devMode() ? List.of(DEV_API_KEY) : configured;
        this.keys = accepted.stream().map(key -> key.getBytes(StandardCharsets.UTF_8)).toList();
        MessageEndpoints messages = new MessageEndpoints(services);
        TopicEndpoints topics = new TopicEndpoints(services);
        UserEndpoints users = new UserEndpoints(services);
        GroupEndpoints groups = new GroupEndpoints(services);
        StatsEndpoints stats = new StatsEndpoints(services);
        this.router = new ApiRouter()
                .add("POST", "/api/v1/messages", messages::post)
                .add("GET", "/api/v1/users/{userId}/messages", messages::history)
                .add("POST", "/api/v1/topics/{topic*}/publish", topics::publish)
                .add("POST", "/api/v1/users/{userId}/kick", users::kick)
                .add("GET", "/api/v1/bans", users::bans)
                .add("PUT", "/api/v1/bans/{userId}", users::ban)
                .add("DELETE", "/api/v1/bans/{userId}", users::unban)
                .add("GET", "/api/v1/presence", users::presence)
                .add("POST", "/api/v1/groups", groups::create)
                .add("DELETE", "/api/v1/groups/{groupId}", groups::delete)
                .add("GET", "/api/v1/groups/{groupId}/members", groups::members)
                .add("POST", "/api/v1/groups/{groupId}/members", groups::addMember)
                .add("DELETE", "/api/v1/groups/{groupId}/members/{userId}", groups::removeMember)
                .add("GET", "/api/v1/stats", stats::stats);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!request.decoderResult().isSuccess()) {
            sendError(ctx, false, new ApiException(400, "bad_request", "malformed HTTP request", null));
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(request.uri());
        String path = uri.path();
        if (path.equals("/metrics") && request.method() == HttpMethod.GET) {
            send(ctx, keepAlive, 200, "text/plain; version=0.0.4; charset=utf-8",
                    services.metrics().scrape().getBytes(StandardCharsets.UTF_8));
            return;
        }
        if (path.equals("/admin") || path.startsWith("/admin/")) {
            serveAdminPage(ctx, keepAlive, request.method(), path.equals("/admin") ? "/" : path.substring("/admin".length()));
            return;
        }
        ApiRouter.Match match = router.match(request.method().name(), path);
        if (match == null) {
            sendError(ctx, keepAlive, new ApiException(404, "not_found", "no such endpoint: " + path, null));
            return;
        }
        if (!authorized(request)) {
            sendError(ctx, keepAlive, keys.isEmpty()
                    ? new ApiException(503, "api_disabled", "no API key is configured (api.keys)", null)
                    : new ApiException(401, "unauthorized", "missing or wrong API key", null));
            return;
        }
        if (match.endpoint() == null) {
            sendError(ctx, keepAlive, new ApiException(405, "method_not_allowed",
                    request.method() + " is not allowed on " + path, null));
            return;
        }
        CompletableFuture<ApiResponse> response;
        try {
            response = match.endpoint().handle(new ApiRequest(match.parameters(), uri.parameters(), body(request)));
        } catch (RuntimeException e) {
            response = CompletableFuture.failedFuture(e);
        }
        response.whenCompleteAsync((answer, error) -> {
            if (error != null) {
                sendError(ctx, keepAlive, toApiException(error));
            } else {
                send(ctx, keepAlive, answer.status(), "application/json", json(answer.body()));
            }
        }, ctx.executor());
    }

    private boolean authorized(FullHttpRequest request) {
        String header = request.headers().get(HttpHeaderNames.AUTHORIZATION);
        String key = header != null && header.regionMatches(true, 0, "Bearer ", 0, 7)
                ? header.substring(7).trim() : request.headers().get("X-Api-Key");
        if (key == null || keys.isEmpty()) {
            return false;
        }
        byte[] presented = key.getBytes(StandardCharsets.UTF_8);
        boolean matched = false;
        for (byte[] accepted : keys) {
            matched |= MessageDigest.isEqual(accepted, presented); // constant time per key
        }
        return matched;
    }

    private static JsonNode body(FullHttpRequest request) {
        if (request.content().readableBytes() == 0) {
            return null;
        }
        try {
            return ApiRequest.JSON.readTree(request.content().toString(StandardCharsets.UTF_8));
        } catch (JsonProcessingException e) {
            throw new ApiException(400, "bad_json", "the body is not valid JSON" + OutboundMessages.where(e), null);
        }
    }

    private void serveAdminPage(ChannelHandlerContext ctx, boolean keepAlive, HttpMethod method, String file) {
        if (method != HttpMethod.GET && method != HttpMethod.HEAD) {
            sendError(ctx, keepAlive, new ApiException(405, "method_not_allowed", "only GET is served", null));
            return;
        }
        adminPage.find(file).ifPresentOrElse(
                resource -> send(ctx, keepAlive, 200, resource.contentType(), resource.body()),
                () -> sendError(ctx, keepAlive, new ApiException(404, "not_found", "no such file: /admin" + file, null)));
    }

    private static ApiException toApiException(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof ApiException api) {
            return api;
        }
        if (cause instanceof RequestRejectedException rejected) {
            int status = switch (rejected.code()) {
                case GROUP_NOT_FOUND -> 404;
                case GROUP_EXISTS, GROUP_FULL, NOT_GROUP_MEMBER -> 409;
                case PAYLOAD_TOO_LARGE -> 413;
                case RATE_LIMITED -> 429;
                default -> 400;
            };
            return new ApiException(status, rejected.code().wireName(), rejected.getMessage(), null);
        }
        if (cause instanceof StoreBusyException) {
            return new ApiException(503, "store_busy", "store is busy, retry later", null);
        }
        if (cause instanceof StoreException) {
            return new ApiException(503, "store_unavailable", "store unavailable, retry later", null);
        }
        log.atError().setMessage("API request failed").setCause(cause).log();
        return new ApiException(500, "internal", "internal error", null);
    }

    private static void sendError(ChannelHandlerContext ctx, boolean keepAlive, ApiException error) {
        ObjectNode body = ApiRequest.JSON.createObjectNode();
        body.put("error", error.error());
        body.put("message", error.getMessage());
        if (error.field() != null) {
            body.put("field", error.field());
        }
        send(ctx, keepAlive, error.status(), "application/json", json(body));
    }

    private static byte[] json(JsonNode body) {
        try {
            return ApiRequest.JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void send(ChannelHandlerContext ctx, boolean keepAlive, int status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.atDebug().setMessage("API connection failed").addKeyValue("error", cause.toString()).log();
        ctx.close();
    }
}
