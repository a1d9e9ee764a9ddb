package dev.switchboard.server.gateway;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.http.DefaultHttpHeaders;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.websocketx.WebSocket13FrameDecoder;
import io.netty.handler.codec.http.websocketx.WebSocketDecoderConfig;
import io.netty.handler.codec.http.websocketx.WebSocketServerHandshaker13;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionData;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketExtensionUtil;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtension;
import io.netty.handler.codec.http.websocketx.extensions.WebSocketServerExtensionHandshaker;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The answer to one admitted WebSocket request, prepared while the request is at hand and carried out
 * later, on the event loop, in one step ({@link #complete}): the 101 is written but not flushed, the
 * pipeline is switched to frames with the negotiated extension's coders (permessage-deflate, or the
 * older deflate-frame) and the endpoint already in place, and the endpoint begins. So the session's
 * {@code welcome} goes through the same handlers as every later frame, and leaves in the same write as
 * the 101.
 *
 * @implNote Netty's handshaker flushes the 101 itself and switches the pipeline only once that write has
 * completed, as does its extension handler with the extension's encoder; a frame written in between
 * would miss the encoder, and a shared pre-encoded frame would hit the HTTP encoder. So with it the 101
 * and the {@code welcome} were two writes: the send system calls took 15.5% of the event loop's time in
 * a handshake run, one write 9.6% (async-profiler, bench/analysis.md). Here Netty's version-13
 * handshaker only computes the response and makes the frame codec, and the negotiation is the one
 * Netty's extension handler does, kept as it is: the first offer each extension handshaker accepts, one
 * extension per reserved bit.
 */
final class WebSocketUpgrade {
    static final String FRAME_DECODER = "ws-decoder";
    static final String FRAME_ENCODER = "ws-encoder";

    private final FullHttpResponse response;
    private final List<WebSocketServerExtension> extensions;
    private final ResponseHandshaker handshaker;
    /** The 101 has been written (the channel owns it now) or released: {@link #abandon} has nothing to release. */
    private boolean responseGone;

    private WebSocketUpgrade(FullHttpResponse response, List<WebSocketServerExtension> extensions,
                             ResponseHandshaker handshaker) {
        this.response = response;
        this.extensions = extensions;
        this.handshaker = handshaker;
    }

    /** Makes the upgrades of one server: immutable, shared by every channel. */
    static final class Factory {
        private final ResponseHandshaker handshaker;
        private final List<WebSocketServerExtensionHandshaker> extensionHandshakers;

        /** @param extensionHandshakers in order of preference; empty: no extension is ever negotiated */
        Factory(WebSocketDecoderConfig decoderConfig, List<WebSocketServerExtensionHandshaker> extensionHandshakers) {
            this.handshaker = new ResponseHandshaker(decoderConfig);
            this.extensionHandshakers = List.copyOf(extensionHandshakers);
        }

        /**
         * The upgrade of a version-13 request whose {@code Connection}, {@code Upgrade} and key headers the
         * caller has checked. Until {@link #complete} or {@link #abandon} it holds a buffer.
         */
        WebSocketUpgrade prepare(FullHttpRequest request) {
            List<WebSocketServerExtension> extensions = negotiate(request.headers());
            HttpHeaders extra = null;
            if (!extensions.isEmpty()) {
                extra = new DefaultHttpHeaders().set(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS, headerValue(extensions));
            }
            return new WebSocketUpgrade(handshaker.response(request, extra), extensions, handshaker);
        }

        private List<WebSocketServerExtension> negotiate(HttpHeaders headers) {
            String offered = headers.get(HttpHeaderNames.SEC_WEBSOCKET_EXTENSIONS);
            if (offered == null || extensionHandshakers.isEmpty()) {
                return List.of();
            }
            List<WebSocketServerExtension> accepted = new ArrayList<>(1);
            int reservedBits = 0;
            for (WebSocketExtensionData offer : WebSocketExtensionUtil.extractExtensions(offered)) {
                WebSocketServerExtension extension = null;
                for (int i = 0; extension == null && i < extensionHandshakers.size(); i++) {
                    extension = extensionHandshakers.get(i).handshakeExtension(offer);
                }
                if (extension != null && (extension.rsv() & reservedBits) == 0) {
                    reservedBits |= extension.rsv();
                    accepted.add(extension);
                }
            }
            return accepted;
        }

        private static String headerValue(List<WebSocketServerExtension> extensions) {
            StringBuilder value = new StringBuilder();
            for (WebSocketServerExtension extension : extensions) {
                WebSocketExtensionData data = extension.newReponseData();
                if (value.length() > 0) {
                    value.append(", ");
                }
                value.append(data.name());
                for (Map.Entry<String, String> parameter : data.parameters().entrySet()) {
                    value.append("; ").append(parameter.getKey());
                    if (parameter.getValue() != null) {
                        value.append('=').append(parameter.getValue());
                    }
                }
            }
            return value.toString();
        }
    }

    /**
     * Writes the 101 (not flushed) through the HTTP encoder, puts the frame decoder and, with an
     * extension, the frame encoder and the extensions' coders where the HTTP handlers were, puts
     * {@code endpoint} in place of the request handler ({@code requestHandler}), lets it begin and
     * flushes: the 101 and what the endpoint wrote as it began leave in one write. On the event loop.
     * Without an extension there is no frame encoder: the endpoint encodes what is written through it
     * ({@link WebSocketEndpointHandler#encodeFrames()}), and the decoder writes nothing (it never
     * closes on a protocol violation itself, whatever its settings say: the endpoint does).
     */
    void complete(ChannelHandlerContext requestHandler, String endpointName, WebSocketEndpointHandler endpoint) {
        ChannelPipeline pipeline = requestHandler.pipeline();
        responseGone = true;
        requestHandler.write(response).addListener(ChannelFutureListener.CLOSE_ON_FAILURE);
        // The decoder after the HTTP codec: bytes the codec still holds are handed to it as it leaves.
        pipeline.addAfter(GatewayInitializer.HTTP_CODEC, FRAME_DECODER, handshaker.frameDecoder(!extensions.isEmpty()));
        if (extensions.isEmpty()) {
            endpoint.encodeFrames();
        } else {
            pipeline.addAfter(GatewayInitializer.HTTP_CODEC, FRAME_ENCODER, handshaker.frameEncoder());
        }
        for (WebSocketServerExtension extension : extensions) {
            pipeline.addBefore(requestHandler.name(), null, extension.newExtensionDecoder());
            pipeline.addBefore(requestHandler.name(), null, extension.newExtensionEncoder());
        }
        GatewayInitializer.removeHttpHandlers(pipeline);
        if (!pipeline.channel().isActive()) {
            return; // the request handler closed it: frames the codec handed on, sent before the 101
        }
        pipeline.replace(requestHandler.name(), endpointName, endpoint);
        endpoint.upgraded();
    }

    /** Releases the prepared 101: the connection ended, or was refused, before the upgrade. Nothing once it is written. */
    void abandon() {
        if (!responseGone) {
            responseGone = true;
            response.release();
        }
    }

    /** Netty's version-13 handshaker, for the parts of the handshake it computes: the 101 and the frame codec. */
    private static final class ResponseHandshaker extends WebSocketServerHandshaker13 {
        /** The decoder's settings without extensions: then a frame with a reserved bit set breaks the protocol (1002). */
        private final WebSocketDecoderConfig withoutExtensions;

        ResponseHandshaker(WebSocketDecoderConfig decoderConfig) {
            // No subprotocols: then computing a response changes nothing in the handshaker, which can be shared.
            // The location only matters to pre-13 handshakes, which are refused before this is used.
            super("ws://switchboard" + HttpRequestHandler.WEBSOCKET_PATH, null, neverClosing(decoderConfig));
            this.withoutExtensions = neverClosing(decoderConfig).toBuilder().allowExtensions(false).build();
        }

        /**
         * {@code config} with the decoder's own close on a protocol violation turned off, whatever the
         * caller set: the decoder would write its close frame from its place in the pipeline, where a
         * connection without extensions has no frame encoder. The endpoint closes instead, with the
         * violation's status ({@link WebSocketErrors}).
         */
        private static WebSocketDecoderConfig neverClosing(WebSocketDecoderConfig config) {
            return config.toBuilder().closeOnProtocolViolation(false).build();
        }

        FullHttpResponse response(FullHttpRequest request, HttpHeaders extra) {
            return newHandshakeResponse(request, extra);
        }

        ChannelHandler frameDecoder(boolean extensionsNegotiated) {
            return extensionsNegotiated ? newWebsocketDecoder() : new WebSocket13FrameDecoder(withoutExtensions);
        }

        ChannelHandler frameEncoder() {
            return newWebSocketEncoder();
        }
    }
}
