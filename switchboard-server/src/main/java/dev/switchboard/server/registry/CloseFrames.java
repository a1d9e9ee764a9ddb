package dev.switchboard.server.registry;

import io.netty.handler.codec.http.websocketx.CloseWebSocketFrame;
import java.nio.charset.StandardCharsets;

/** Close frames whose reason always fits the frame (RFC 6455 §5.5: a control frame's payload is at most 125 bytes). */
public final class CloseFrames {
    /** 125 bytes of payload less the 2-byte status code. */
    static final int MAX_REASON_BYTES = 123;

    private CloseFrames() {
    }

    /**
     * A close frame with {@code code} and {@code reason}, the reason cut to its longest prefix of whole
     * characters that takes at most {@value #MAX_REASON_BYTES} bytes of UTF-8. Reasons can come from
     * outside (an operator's kick or ban reason, up to 200 characters), and a longer one would make the
     * frame one the client must refuse.
     */
    public static CloseWebSocketFrame of(int code, String reason) {
        return new CloseWebSocketFrame(code, fit(reason));
    }

    /** {@code reason} cut to fit; null (no reason) stays null, as Netty's frame takes it. */
    static String fit(String reason) {
        if (reason == null || reason.length() * 3 <= MAX_REASON_BYTES || reason.getBytes(StandardCharsets.UTF_8).length <= MAX_REASON_BYTES) {
            return reason;
        }
        int bytes = 0;
        int end = 0;
        while (end < reason.length()) {
            int codePoint = reason.codePointAt(end);
            int width = codePoint < 0x80 ? 1 : codePoint < 0x800 ? 2 : codePoint < 0x10000 ? 3 : 4;
            if (bytes + width > MAX_REASON_BYTES) {
                break;
            }
            bytes += width;
            end += Character.charCount(codePoint);
        }
        return reason.substring(0, end);
    }
}
