package dev.switchboard.bench.load;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.embedded.EmbeddedChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The lean handshake's reading of a server's answer on an embedded channel: the welcome fed byte by
 * byte and whole, and each way an answer can fail fed whole.
 */
class HandshakeHandlerTest {
    /** RFC 6455's own example (section 1.3): this accept for this key. */
    private static final String KEY = "dGhlIHNhbXBsZSBub25jZQ==";
    private static final String ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";
    private static final String REQUEST = "GET /ws?user=u1 HTTP/1.1\r\n\r\n";
    private static final String WELCOME = "{\"type\":\"welcome\",\"lastSeq\":0}";

    /** The request every channel of a test shares, as a user's connections share it in the client. */
    private final ByteBuf request = Unpooled.directBuffer().writeBytes(REQUEST.getBytes(StandardCharsets.US_ASCII));
    private final List<EmbeddedChannel> channels = new ArrayList<>();
    private final CompletableFuture<Channel> welcomed = new CompletableFuture<>();

    @AfterEach
    void releaseEverything() {
        channels.forEach(EmbeddedChannel::finishAndReleaseAll);
        assertThat(request.refCnt()).as("each connection released its own duplicate").isEqualTo(1);
        request.release();
    }

    private EmbeddedChannel channel(Dialect dialect) {
        return channel(dialect, welcomed);
    }

    private EmbeddedChannel channel(Dialect dialect, CompletableFuture<Channel> future) {
        EmbeddedChannel channel = new EmbeddedChannel(new HandshakeHandler(request,
                ACCEPT.getBytes(StandardCharsets.US_ASCII), dialect, future));
        channels.add(channel);
        return channel;
    }

    private static String answer(String acceptHeader) {
        return "HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: upgrade\r\n"
                + acceptHeader + "\r\n\r\n";
    }

    /** An unmasked server frame: FIN and opcode in {@code first}, in the shortest length form unless {@code longForm}. */
    private static byte[] frame(int first, String payload, boolean longForm) {
        byte[] bytes = payload.getBytes(StandardCharsets.UTF_8);
        ByteBuf frame = Unpooled.buffer().writeByte(first);
        if (longForm) {
            frame.writeByte(127).writeLong(bytes.length);
        } else if (bytes.length > 125) {
            frame.writeByte(126).writeShort(bytes.length);
        } else {
            frame.writeByte(bytes.length);
        }
        frame.writeBytes(bytes);
        return readAll(frame);
    }

    private static byte[] text(String payload) {
        return frame(0x81, payload, false);
    }

    private static byte[] readAll(ByteBuf buffer) {
        byte[] out = new byte[buffer.readableBytes()];
        buffer.readBytes(out);
        buffer.release();
        return out;
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuf all = Unpooled.buffer();
        for (byte[] part : parts) {
            all.writeBytes(part);
        }
        return readAll(all);
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.US_ASCII);
    }

    private static String failure(CompletableFuture<Channel> future) {
        assertThat(future).isCompletedExceptionally();
        return future.handle((channel, error) -> error.getMessage()).join();
    }

    private String failure() {
        return failure(welcomed);
    }

    @Test
    void theAcceptIsTheRfcsForItsExampleKey() {
        assertThat(HandshakeClient.acceptFor(KEY)).isEqualTo(ACCEPT);
    }

    @Test
    void eachConnectionSendsTheWholeSharedRequest() {
        for (int connection = 0; connection < 2; connection++) {
            ByteBuf written = channel(new SwitchboardDialect(), new CompletableFuture<>()).readOutbound();
            assertThat(written.toString(StandardCharsets.US_ASCII)).as("connection %d", connection).isEqualTo(REQUEST);
            written.release();
        }
    }

    @Test
    void completesOnlyWithTheWelcomesLastByte_whenEverythingArrivesByteByByte() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());
        String longOther = "{\"type\":\"other\",\"pad\":\"" + "x".repeat(200) + "\"}"; // a 16-bit length frame
        byte[] bytes = concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)), text(longOther), text(WELCOME));

        for (int i = 0; i < bytes.length - 1; i++) {
            channel.writeInbound(Unpooled.wrappedBuffer(bytes, i, 1));
        }
        assertThat(welcomed).isNotDone();
        channel.writeInbound(Unpooled.wrappedBuffer(bytes, bytes.length - 1, 1));

        assertThat(welcomed).isCompletedWithValue(channel);
        assertThat(channel.isOpen()).as("the caller closes it").isTrue();
    }

    @Test
    void completesWhenAnswerAndWelcomeArriveInOneRead_whateverTheAcceptHeadersCaseAndPlace() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());
        String acceptNotLast = "HTTP/1.1 101 Switching Protocols\r\nsec-websocket-accept:  " + ACCEPT + "  \r\n"
                + "upgrade: websocket\r\n\r\n";

        channel.writeInbound(Unpooled.wrappedBuffer(concat(ascii(acceptNotLast),
                frame(0x81, "{\"type\":\"other\"}", true), text(WELCOME)))); // one frame in the 64-bit length form

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

        CompletableFuture<Channel> statusOnly = new CompletableFuture<>();
        channel(new SwitchboardDialect(), statusOnly).writeInbound(Unpooled.wrappedBuffer(ascii("HTTP/1.1 403 Forbidden\r\n\r\n")));
        assertThat(failure(statusOnly)).isEqualTo("upgrade refused: HTTP/1.1 403 Forbidden");
    }

    @Test
    void failsOnAWrongALongerOrAMissingAccept() {
        EmbeddedChannel wrong = channel(new SwitchboardDialect());
        wrong.writeInbound(Unpooled.wrappedBuffer(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT.replace('s', 't')))));
        assertThat(failure()).isEqualTo("wrong Sec-WebSocket-Accept");
        assertThat(wrong.isOpen()).isFalse();

        CompletableFuture<Channel> longer = new CompletableFuture<>();
        channel(new SwitchboardDialect(), longer)
                .writeInbound(Unpooled.wrappedBuffer(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT + "x"))));
        assertThat(failure(longer)).isEqualTo("wrong Sec-WebSocket-Accept");

        CompletableFuture<Channel> missing = new CompletableFuture<>();
        channel(new SwitchboardDialect(), missing).writeInbound(Unpooled.wrappedBuffer(ascii(answer("x-other: 1"))));
        assertThat(failure(missing)).isEqualTo("no Sec-WebSocket-Accept in the answer");
    }

    @Test
    void failsWithTheCloseCodeWhenTheServerClosesBeforeTheWelcome() {
        EmbeddedChannel channel = channel(new SwitchboardDialect());

        channel.writeInbound(Unpooled.wrappedBuffer(concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)),
                new byte[] {(byte) 0x88, 2, 0x0f, (byte) 0xa1}))); // close, 4001

        assertThat(failure()).isEqualTo("closed before welcome (close code 4001)");
    }

    @Test
    void failsOnAMaskedAFragmentedOrAnExtensionsFrame() {
        byte[] upgraded = ascii(answer("Sec-WebSocket-Accept: " + ACCEPT));
        channel(new SwitchboardDialect()).writeInbound(Unpooled.wrappedBuffer(concat(upgraded,
                new byte[] {(byte) 0x81, (byte) 0x81, 0, 0, 0, 0, 'x'})));
        assertThat(failure()).isEqualTo("masked frame from the server");

        CompletableFuture<Channel> fragmented = new CompletableFuture<>();
        channel(new SwitchboardDialect(), fragmented).writeInbound(Unpooled.wrappedBuffer(concat(upgraded,
                frame(0x01, WELCOME, false))));
        assertThat(failure(fragmented)).isEqualTo("fragmented frame before the welcome");

        CompletableFuture<Channel> compressed = new CompletableFuture<>();
        channel(new SwitchboardDialect(), compressed).writeInbound(Unpooled.wrappedBuffer(concat(upgraded,
                frame(0xc1, WELCOME, false)))); // RSV1: permessage-deflate, never offered
        assertThat(failure(compressed)).isEqualTo("reserved bits set in a frame (no extension was offered)");
    }

    @Test
    void failsWhenTheConnectionEndsFirst_orTheAnswersHeaderNeverEnds() {
        EmbeddedChannel ended = channel(new SwitchboardDialect());
        ended.writeInbound(Unpooled.wrappedBuffer(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT))));
        ended.close();
        assertThat(failure()).isEqualTo("connection ended before welcome");

        CompletableFuture<Channel> endless = new CompletableFuture<>();
        channel(new SwitchboardDialect(), endless).writeInbound(
                Unpooled.wrappedBuffer(ascii("HTTP/1.1 101 Switching Protocols\r\nx: " + "y".repeat(9000))));
        assertThat(failure(endless)).startsWith("no end of the answer's header");
    }

    @Test
    void failsAndClosesWhenNoWelcomeComesInTime_butLeavesAWelcomedConnectionToItsCaller() {
        EmbeddedChannel silent = channel(new SwitchboardDialect());
        silent.advanceTimeBy(HandshakeHandler.TIMEOUT_SECONDS - 1, TimeUnit.SECONDS);
        silent.runScheduledPendingTasks();
        assertThat(welcomed).isNotDone();

        silent.advanceTimeBy(1, TimeUnit.SECONDS);
        silent.runScheduledPendingTasks();
        assertThat(failure()).isEqualTo("no welcome in " + HandshakeHandler.TIMEOUT_SECONDS + " s");
        assertThat(silent.isOpen()).isFalse();

        CompletableFuture<Channel> answered = new CompletableFuture<>();
        EmbeddedChannel welcomedChannel = channel(new SwitchboardDialect(), answered);
        welcomedChannel.writeInbound(Unpooled.wrappedBuffer(concat(ascii(answer("Sec-WebSocket-Accept: " + ACCEPT)),
                text(WELCOME))));
        welcomedChannel.advanceTimeBy(HandshakeHandler.TIMEOUT_SECONDS, TimeUnit.SECONDS);
        welcomedChannel.runScheduledPendingTasks();
        assertThat(answered).isCompletedWithValue(welcomedChannel);
        assertThat(welcomedChannel.isOpen()).isTrue();
    }
}
