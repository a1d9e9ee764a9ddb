package dev.switchboard.server.gateway;

import dev.switchboard.protocol.Identifiers;
import dev.switchboard.server.auth.HandshakeRejectedException;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.store.Ban;
import dev.switchboard.server.store.StoredFile;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.DefaultLastHttpContent;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code GET /files/{fileId}} (and {@code HEAD}): a file for a user who may read it (docs/PROTOCOL.md
 * section 11), whole or one byte range, then the connection closes.
 *
 * @implNote The file is streamed a chunk at a time: the next chunk is read from the store (on a reader
 * thread) only once the previous one is written to the socket, so a download holds one chunk in memory
 * and a slow reader slows the reads instead of queueing the file. The connection reads nothing after
 * a download's request (one pipelined behind it is never answered: the connection closes after the
 * file). Once the response starts, the absolute deadline of the plain-HTTP phase is cancelled, since a large file
 * on a slow link may take longer and still be making progress, and the idle timeout becomes one of
 * output progress: a download whose bytes stop leaving the node for {@code server.handshakeTimeoutMillis}
 * (a client that stopped reading) is closed, one that drains slowly is not.
 */
final class FileDownload {
    static final String PATH_PREFIX = "/files/";
    private static final Logger log = LoggerFactory.getLogger(FileDownload.class);

    private final GatewayServices services;
    private final ChannelHandlerContext ctx;
    private final String fileId;
    private final boolean head;
    private final String rangeHeader;
    private final Future<?> httpDeadline;
    private long position;
    private long end;

    private FileDownload(GatewayServices services, ChannelHandlerContext ctx, String fileId, boolean head,
                         String rangeHeader, Future<?> httpDeadline) {
        this.services = services;
        this.ctx = ctx;
        this.fileId = fileId;
        this.head = head;
        this.rangeHeader = rangeHeader;
        this.httpDeadline = httpDeadline;
    }

    /** Answers {@code request} for {@code path} (under {@link #PATH_PREFIX}); reads nothing of it after returning. */
    static void start(GatewayServices services, ChannelHandlerContext ctx, FullHttpRequest request, String path,
                      Future<?> httpDeadline) {
        String fileId = path.substring(PATH_PREFIX.length());
        if (!Identifiers.isValidFileId(fileId)) {
            HttpResponses.sendError(ctx, 404, "not_found", "no such file");
            return;
        }
        FileDownload download = new FileDownload(services, ctx, fileId, request.method() == HttpMethod.HEAD,
                request.headers().get(HttpHeaderNames.RANGE), httpDeadline);
        services.authenticator().authenticateAsync(request).whenCompleteAsync(download::authenticated, ctx.executor());
    }

    private void authenticated(Principal principal, Throwable error) {
        if (!ctx.channel().isActive()) {
            return; // the client left during the token check
        }
        if (error != null) {
            Throwable cause = error instanceof CompletionException ? error.getCause() : error;
            if (cause instanceof HandshakeRejectedException rejected) {
                HttpResponses.sendError(ctx, rejected.status(), rejected.error(), rejected.getMessage());
            } else {
                fail("token check failed", cause);
            }
            return;
        }
        Ban ban = services.moderation().activeBan(principal.userId());
        if (ban != null) {
            HttpResponses.sendError(ctx, 403, "banned", ban.reason());
            return;
        }
        services.files().readable(fileId, principal.userId()).whenCompleteAsync(this::found, ctx.executor());
    }

    private void found(StoredFile file, Throwable error) {
        if (!ctx.channel().isActive()) {
            return; // the client left during the lookup: its pipeline may already be gone
        }
        if (error != null) {
            fail("file lookup failed", error);
            return;
        }
        if (file == null) { // the same answer whether it does not exist or is not this user's to read
            HttpResponses.sendError(ctx, 404, "not_found", "no such file");
            return;
        }
        ByteRange range = ByteRange.parse(rangeHeader, file.size());
        if (range == ByteRange.UNSATISFIABLE) {
            var response = HttpResponses.errorResponse(416, "range_not_satisfiable",
                    "the file has " + file.size() + " bytes");
            response.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes */" + file.size());
            HttpResponses.sendAndClose(ctx, response);
            return;
        }
        boolean partial = range != null;
        position = partial ? range.first() : 0;
        end = partial ? range.last() + 1 : file.size();
        HttpResponse response = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                partial ? HttpResponseStatus.PARTIAL_CONTENT : HttpResponseStatus.OK);
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, servedContentType(file.contentType()));
        response.headers().set(HttpHeaderNames.CONTENT_LENGTH, end - position);
        response.headers().set(HttpHeaderNames.CONTENT_DISPOSITION, contentDisposition(file.name()));
        response.headers().set(HttpHeaderNames.ACCEPT_RANGES, HttpHeaderValues.BYTES);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, no-cache");
        // An uploaded page or script must never run as one of ours: not sniffed, not rendered in place, and
        // sandboxed with nothing allowed should a browser show it anyway.
        response.headers().set("X-Content-Type-Options", "nosniff");
        response.headers().set("Content-Security-Policy", "default-src 'none'; sandbox");
        if (partial) {
            response.headers().set(HttpHeaderNames.CONTENT_RANGE,
                    "bytes " + range.first() + "-" + range.last() + "/" + file.size());
        }
        HttpUtil.setKeepAlive(response, false);
        httpDeadline.cancel(false);
        ctx.pipeline().replace(GatewayInitializer.IDLE, GatewayInitializer.IDLE, new IdleStateHandler(true, 0,
                services.config().server().handshakeTimeoutMillis(), 0, TimeUnit.MILLISECONDS));
        ctx.write(response);
        if (head || position == end) {
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        readNext();
    }

    private void readNext() {
        services.files().read(fileId, position).whenCompleteAsync((bytes, error) -> {
            if (error != null || bytes.length == 0) { // the store failed, or the file was purged meanwhile
                if (error != null) {
                    log.atWarn().setMessage("download aborted").addKeyValue("fileId", fileId)
                            .addKeyValue("error", error.toString()).log();
                }
                ctx.close(); // the headers are out: a short body is all that can tell the client
                return;
            }
            int length = (int) Math.min(bytes.length, end - position);
            position += length;
            services.metrics().fileBytesDownloaded(length);
            boolean last = position == end;
            var content = Unpooled.wrappedBuffer(bytes, 0, length);
            if (last) {
                ctx.writeAndFlush(new DefaultLastHttpContent(content)).addListener(ChannelFutureListener.CLOSE);
            } else {
                ctx.writeAndFlush(new DefaultHttpContent(content)).addListener((ChannelFutureListener) written -> {
                    if (written.isSuccess()) {
                        readNext();
                    } else {
                        written.channel().close();
                    }
                });
            }
        }, ctx.executor());
    }

    private void fail(String what, Throwable error) {
        log.atWarn().setMessage(what).addKeyValue("fileId", fileId).addKeyValue("error", String.valueOf(error)).log();
        HttpResponses.sendError(ctx, 503, "unavailable", "the store is unavailable, retry later");
    }

    /**
     * The type a file is served with: as uploaded, but for types a browser runs (scripts, pages, SVG and
     * other XML), served as {@code application/octet-stream}, which it only saves. The message keeps the
     * uploaded type.
     */
    static String servedContentType(String contentType) {
        String essence = contentType.toLowerCase(Locale.ROOT);
        int parameters = essence.indexOf(';');
        essence = (parameters < 0 ? essence : essence.substring(0, parameters)).trim();
        boolean active = essence.contains("javascript") || essence.contains("ecmascript") || essence.contains("html")
                || essence.contains("xml") || essence.equals("text/css") || essence.startsWith("multipart/");
        return active ? "application/octet-stream" : contentType;
    }

    /**
     * {@code attachment} with the name twice (RFC 6266): an ASCII fallback with anything else replaced by
     * {@code _}, and the exact name percent-encoded in UTF-8 for clients that read {@code filename*}.
     */
    static String contentDisposition(String name) {
        StringBuilder ascii = new StringBuilder(name.length());
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            ascii.append(c >= 0x20 && c < 0x7f && c != '"' && c != '\\' && c != '%' ? c : '_');
        }
        // RFC 5987's attr-char: URLEncoder leaves '*' as it is, which filename* must not carry.
        String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20").replace("*", "%2A");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }
}
