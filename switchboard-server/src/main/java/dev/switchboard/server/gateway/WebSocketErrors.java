package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.registry.CloseFrames;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CorruptedWebSocketFrameException;
import java.io.IOException;
import org.slf4j.Logger;

/** What the WebSocket handlers do with exceptions from the pipeline, in one place. */
final class WebSocketErrors {
    private WebSocketErrors() {
    }

    /**
     * A frame that breaks the protocol closes with the status Netty's decoder gives it (1002, 1007 for a
     * bad close frame body, 1009 for a frame over the size limit); a message over the size limit
     * (reassembled fragments, or inflated past the limit: a decompression bomb) closes with 1009; an
     * I/O error is the client going away. The close frames go through the whole pipeline, so the
     * endpoint encodes them where the connection has no frame encoder, and drops them once a close
     * frame was sent (then only the connection is closed).
     */
    static void handle(ChannelHandlerContext ctx, Throwable cause, Logger log, String connectionId) {
        if (cause instanceof CorruptedWebSocketFrameException corrupted) {
            log.atDebug().setMessage("protocol violation").addKeyValue("connectionId", connectionId)
                    .addKeyValue("error", cause.getMessage()).log();
            String reason = corrupted.getMessage() != null ? corrupted.getMessage() : corrupted.closeStatus().reasonText();
            closeWith(ctx, corrupted.closeStatus().code(), reason);
            return;
        }
        if (isTooLarge(cause)) {
            closeWith(ctx, CloseCodes.MESSAGE_TOO_BIG, "message too big");
            return;
        }
        if (cause instanceof CorruptedFrameException || cause instanceof IOException) {
            log.atDebug().setMessage("connection error").addKeyValue("connectionId", connectionId)
                    .addKeyValue("error", cause.toString()).log();
            ctx.close();
            return;
        }
        log.atWarn().setMessage("unexpected error, closing").addKeyValue("connectionId", connectionId).setCause(cause).log();
        closeWith(ctx, CloseCodes.INTERNAL_ERROR, "internal error");
    }

    private static void closeWith(ChannelHandlerContext ctx, int code, String reason) {
        ctx.channel().writeAndFlush(CloseFrames.of(code, reason)).addListener(ChannelFutureListener.CLOSE);
    }

    private static boolean isTooLarge(Throwable cause) {
        for (Throwable current = cause; current != null; current = current.getCause()) {
            if (current instanceof TooLongFrameException || current instanceof DecompressionException) {
                return true;
            }
        }
        return false;
    }
}
