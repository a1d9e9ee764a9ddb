package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** The lean handshake's reading of a server's answer, fed byte by byte or all at once on an embedded channel. */
class HandshakeHandlerTest {
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    /** RFC 6455's own example: this accept for this key. */
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    private static final String REQUEST = "GET /ws?user=u1 HTTP/1.1\r\n\r\n";

    private final CompletableFuture<Channel> welcomed = new CompletableFuture<>();

    private EmbeddedChannel channel(Dialect dialect) {
        return new EmbeddedChannel(new HandshakeHandler(Unpooled.copiedBuffer(REQUEST, StandardCharsets.US_ASCII),
                ACCEPT.getBytes(StandardCharsets.US_ASCII), dialect, welcomed));
    }

    private static String answer(String acceptHeader) {
        return "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
                + acceptHeader + "\r\n\r\n";
    }

    /** An unmasked server text frame, with the 16-bit length form when it is over 125 bytes. */
    private static byte[] text(String payload) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(0x81);
        if (bytes.length > 125) {
            frame.writeByte(126).writeShort(bytes.length);
        } else {
            frame.writeByte(bytes.length);
        }
        frame.writeBytes(bytes);
        byte[] out = new byte[frame.readableBytes()];
        frame.readBytes(out);
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuf all = Unpooled.buffer();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        byte[] out = new byte[all.readableBytes()];
        all.readBytes(out);
        return out;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private void feedByteByByte(EmbeddedChannel channel, byte[] bytes, int stopBefore) {
        for (int i = 0; i < stopBefore; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, 1));
        }
    }

    private String failure() {
        assertThat(welcomed).isCompletedExceptionally();
        return welcomed.handle((channel, error) -> error.getMessage()).join();
    }

    @Test
    void sendsTheRequestOnceConnected() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());

        ByteBuf written = channel.readOutbound();
        assertThat(written.toString(StandardCharsets.US_ASCII)).isEqualTo(REQUEST);
        written.release();
    }

    @Test
    void completesOnlyWithTheWelcomesLastByte_whenEverythingArrivesByteByByte() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());
        String longOther = "{\"type\":\"other\",\"pad\":\"" + "x".repeat(200) + "\"}"; // a 16-bit length frame
        byte[] bytes = concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)), text(longOther),
                text("{\"type\":\"welcome\",\"lastSeq\":0}"));

        feedByteByByte(channel, bytes, bytes.length - 1);
        assertThat(welcomed).isNotDone();
        channel.writeInbound(Unpooled.wrappedBuffer(bytes, bytes.length - 1, 1));

        assertThat(welcomed).isCompletedWithValue(channel);
        assertThat(channel.isOpen()).as("the caller closes it").isTrue();
    }

    @Test
    void completesWhenAnswerAndWelcomeArriveInOneRead_andTheHeaderNameInAnyCase() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());

        channel.writeInbound(Unpooled.wrappedBuffer(concat(ascii(answer("sec-websocket-accept:  " + ACCEPT)),
                text("{\"type\":\"welcome\"}"))));

        assertThat(welcomed).isCompletedWithValue(channel);
    }

    @Test
    void answersWhatTheDialectAnswers_withAMaskedFrame_beforeTheWelcome() {
        EmbeddedChannel channel = channel(PeerDialect.socketIo());
        ((ByteBuf) channel.readOutbound()).release(); // the request

        channel.writeInbound(Unpooled.wrappedBuffer(concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)),
                text("0{\"sid\":\"a\",\"pingInterval\":25000}"))));
        assertThat(welcomed).isNotDone();

        ByteBuf reply = channel.readOutbound();
        assertThat((int) reply.readUnsignedByte()).as("FIN, text").isEqualTo(0x81);
        assertThat((int) reply.readUnsignedByte()).as("masked, 2 bytes").isEqualTo(0x80 | 2);
        byte[] mask = new byte[4];
        reply.readBytes(mask);
        byte[] payload = new byte[reply.readableBytes()];
        reply.readBytes(payload);
        reply.release();
        for (int i = 0; i < payload.length; i++) {
            payload[i] ^= mask[i % 4];
        }
        assertThat(new String(payload, StandardCharsets.UTF_8)).isEqualTo("40");

        channel.writeInbound(Unpooled.wrappedBuffer(concat(text("40{\"sid\":\"b\"}"), text("42[\"welcome\",{}]"))));
        assertThat(welcomed).isCompletedWithValue(channel);
    }

    @Test
    void failsWhenTheUpgradeIsRefused_sayingWithWhat() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());

        channel.writeInbound(Unpooled.wrappedBuffer(ascii("HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n")));

        assertThat(failure()).isEqualTo("upgrade refused: HTTP/1.1 401 Unauthorized");
        assertThat(channel.isOpen()).isFalse();
    }

    @Test
    void failsOnAWrongOrMissingAccept() {
        EmbeddedChannel wrong = channel(new SwitchboardDialect());
        wrong.writeInbound(Unpooled.wrappedBuffer(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT.replace('s', 't')))));
        assertThat(failure()).isEqualTo("wrong Sec-WebSocket-Accept");

        CompletableFuture<Channel> other = new CompletableFuture<>();
        EmbeddedChannel longer = new EmbeddedChannel(new HandshakeHandler(Unpooled.EMPTY_BUFFER,
                ACCEPT.getBytes(StandardCharsets.US_ASCII), new SwitchboardDialect(), other));
        longer.writeInbound(Unpooled.wrappedBuffer(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT + "x"))));
        assertThat(other).isCompletedExceptionally();

        CompletableFuture<Channel> third = new CompletableFuture<>();
        EmbeddedChannel missing = new EmbeddedChannel(new HandshakeHandler(Unpooled.EMPTY_BUFFER,
                ACCEPT.getBytes(StandardCharsets.US_ASCII), new SwitchboardDialect(), third));
        missing.writeInbound(Unpooled.wrappedBuffer(ascii(answer("x-other: 1"))));
        assertThat(third).isCompletedExceptionally();
        assertThat(missing.isOpen()).isFalse();
    }

    @Test
    void failsWithTheCloseCodeWhenTheServerClosesBeforeTheWelcome() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());

        channel.writeInbound(Unpooled.wrappedBuffer(concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)),
                new byte[] {(byte) 0x88, 2, 0x0f, (byte) 0xa1}))); // close, 4001

        assertThat(failure()).isEqualTo("closed before welcome (close code 4001)");
    }

    @Test
    void failsOnAMaskedServerFrame_andWhenTheConnectionEndsFirst() {
        EmbeddedChannel masked = channel(new SwitchboardDialect());
        masked.writeInbound(Unpooled.wrappedBuffer(concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)),
                new byte[] {(byte) 0x81, (byte) 0x81, 0, 0, 0, 0, 'x'})));
        assertThat(failure()).isEqualTo("masked frame from the server");

        CompletableFuture<Channel> other = new CompletableFuture<>();
        EmbeddedChannel ended = new EmbeddedChannel(new HandshakeHandler(Unpooled.EMPTY_BUFFER,
                ACCEPT.getBytes(StandardCharsets.US_ASCII), new SwitchboardDialect(), other));
        ended.writeInbound(Unpooled.wrappedBuffer(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT))));
        ended.close();
        assertThat(other).isCompletedExceptionally();
    }

    @Test
    void failsWhenTheAnswersHeaderNeverEnds() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());

        channel.writeInbound(Unpooled.wrappedBuffer(ascii("HTTP/1.1 101 Switching Protocols\r\nx: " + "y".repeat(9000))));

        assertThat(failure()).startsWith("no end of the answer's header");
    }
}
