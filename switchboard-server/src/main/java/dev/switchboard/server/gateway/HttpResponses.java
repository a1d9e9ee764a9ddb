package dev.switchboard.server.gateway;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.nio.charset.StandardCharsets;

/** Small helpers for the plain-HTTP answers given before any upgrade. */
final class HttpResponses {
    private HttpResponses() {
    }

    /** Sends {@code {"error": error, "reason": reason}} and closes the connection once it is out. */
    static void sendError(ChannelHandlerContext ctx, int status, String error, String reason) {
        sendAndClose(ctx, errorResponse(status, error, reason));
    }

    /** The response {@link #sendError} sends, for a caller that adds a header first. */
    static FullHttpResponse errorResponse(int status, String error, String reason) {
        String body = "{\"error\":\"" + escape(error) + "\",\"reason\":\"" + escape(reason) + "\"}";
        return response(status, "application/json", body.getBytes(StandardCharsets.UTF_8));
    }

    static void sendJson(ChannelHandlerContext ctx, HttpRequest request, int status, String json) {
        send(ctx, request, response(status, "application/json", json.getBytes(StandardCharsets.UTF_8)), true);
    }

    static FullHttpResponse response(int status, String contentType, byte[] body) {
        FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(status), Unpooled.wrappedBuffer(body));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, HttpHeaderValues.NO_CACHE);
        return response;
    }

    /** Sends {@code response}; keeps the connection only if {@code mayKeepAlive}, the request asked to and the status is 2xx. */
    static void send(ChannelHandlerContext ctx, HttpRequest request, FullHttpResponse response, boolean mayKeepAlive) {
        if (mayKeepAlive && HttpUtil.isKeepAlive(request) && response.status().code() < 300) {
            HttpUtil.setKeepAlive(response, true);
            ctx.writeAndFlush(response);
        } else {
            sendAndClose(ctx, response);
        }
    }

    /** Sends {@code response} with {@code Connection: close} and closes the connection once it is out. */
    static void sendAndClose(ChannelHandlerContext ctx, FullHttpResponse response) {
        HttpUtil.setKeepAlive(response, false);
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
    }

    private static String escape(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }
}
