package dev.switchboard.server.testing;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.http.websocketx.WebSocketFrame;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionEncoder;
import java.util.List;

/**
 * Stands in for permessage-deflate's encoder in a pipeline under test: a connection looks for an
 * extension's encoder to decide how to write, so only its presence matters; frames pass unchanged.
 */
public final class PassThroughExtensionEncoder extends WebSocketExtensionEncoder {
    @Override
    protected void encode(ChannelHandlerContext ctx, WebSocketFrame frame, List<Object> out) {
        out.add(frame.retain());
    }
}
