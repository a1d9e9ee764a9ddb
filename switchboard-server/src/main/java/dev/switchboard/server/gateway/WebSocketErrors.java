package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.CorruptedFrameException;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.compression.DecompressionException;
import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.io.IOException;
import org.slf4j.Logger;

/** What the WebSocket handlers do with exceptions from the pipeline, in one place. */
final class WebSocketErrors {
    private WebSocketErrors() {
    }

    /**
     * A message over the size limit (reassembled fragments, or inflated past the limit: a
     * decompression bomb) closes with 1009; a corrupt frame was already answered by Netty's decoder;
     * an I/O error is the client going away.
     */
    static void handle(ChannelHandlerContext ctx, Throwable cause, Logger log, String connectionId) {
        if (isTooLarge(cause)) {
            ctx.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.MESSAGE_TOO_BIG, "message too big"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (cause instanceof CorruptedFrameException || cause instanceof IOException) {
            log.atDebug().setMessage("connection error").addKeyValue("connectionId", connectionId)
                    .addKeyValue("error", cause.toString()).log();
            if (!(cause instanceof CorruptedFrameException)) {
                ctx.close();
            }
            return;
        }
        log.atWarn().setMessage("unexpected error, closing").addKeyValue("connectionId", connectionId).setCause(cause).log();
        ctx.channel().writeAndFlush(new CloseWebSocketFrame(CloseCodes.INTERNAL_ERROR, "internal error"))
                .addListener(ChannelFutureListener.CLOSE);
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
