package dev.switchboard.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * A deliberately low-level, blocking WebSocket client for tests that must send what a well-behaved
 * client never would: wrong versions, invalid UTF-8, oversize or fragmented frames, garbage JSON, an
 * abrupt TCP reset. Frames are built by hand per RFC 6455 (client frames masked).
 */
public final class RawWebSocket implements Closeable {
    public static final int TEXT = 0x1;
    public static final int BINARY = 0x2;
    public static final int CONTINUATION = 0x0;
    public static final int CLOSE = 0x8;
    public static final int PING = 0x9;
    public static final int PONG = 0xA;
    private static final String GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One frame as received; {@code compressed} is RSV1, set on the first frame of a permessage-deflate message. */
    public record Frame(int opcode, byte[] payload, boolean compressed) {
        public String text() {
            return new String(payload, StandardCharsets.UTF_8);
        }

        public int closeCode() {
            return payload.length >= 2 ? ((payload[0] & 0xff) << 8) | (payload[1] & 0xff) : -1;
        }
    }

    /** An HTTP response head (and body, for non-101 answers). */
    public record HttpAnswer(int status, Map<String, String> headers, String body) {
        public String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final HttpAnswer handshake;
    private final String key;

    private RawWebSocket(Socket socket, HttpAnswer handshake, String key) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        this.handshake = handshake;
        this.key = key;
    }

    /** Opens a connection and sends an upgrade request; check {@link #handshake()} for the answer. */
    public static RawWebSocket connect(int port, String pathAndQuery, Map<String, String> extraHeaders) throws IOException {
        return connect(port, pathAndQuery, extraHeaders, 0);
    }

    /** Like {@link #connect(int, String, Map)}, from a chosen loopback source address (127.0.0.2, …). */
    public static RawWebSocket connectFrom(String sourceAddress, int port, String pathAndQuery,
                                           Map<String, String> extraHeaders) throws IOException {
        return connect(port, pathAndQuery, extraHeaders, 0, sourceAddress);
    }

    /** A connection with a tiny receive buffer, for a client that stops reading (slow consumer). */
    public static RawWebSocket connectWithReceiveBuffer(int port, String pathAndQuery, int receiveBufferBytes) throws IOException {
        RawWebSocket socket = connect(port, pathAndQuery, Map.of(), receiveBufferBytes);
        if (socket.handshake.status() != 101) {
            throw new IOException("not upgraded: " + socket.handshake);
        }
        return socket;
    }

    private static RawWebSocket connect(int port, String pathAndQuery, Map<String, String> extraHeaders,
                                        int receiveBufferBytes) throws IOException {
        return connect(port, pathAndQuery, extraHeaders, receiveBufferBytes, null);
    }

    private static RawWebSocket connect(int port, String pathAndQuery, Map<String, String> extraHeaders,
                                        int receiveBufferBytes, String sourceAddress) throws IOException {
        Socket socket = new Socket();
        if (sourceAddress != null) {
            socket.bind(new InetSocketAddress(sourceAddress, 0));
        }
        if (receiveBufferBytes > 0) {
            socket.setReceiveBufferSize(receiveBufferBytes);
        }
        socket.connect(new InetSocketAddress("127.0.0.1", port), 5000);
        socket.setSoTimeout(10_000);
        String key = Base64.getEncoder().encodeToString(randomBytes(16));
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put("Host", "127.0.0.1:" + port);
        headers.put("Upgrade", "websocket");
        headers.put("Connection", "Upgrade");
        headers.put("Sec-WebSocket-Key", key);
        headers.put("Sec-WebSocket-Version", "13");
        headers.putAll(extraHeaders);
        StringBuilder request = new StringBuilder("GET " + pathAndQuery + " HTTP/1.1\r\n");
        headers.forEach((name, value) -> {
            if (value != null) {
                request.append(name).append(": ").append(value).append("\r\n");
            }
        });
        request.append("\r\n");
        socket.getOutputStream().write(request.toString().getBytes(StandardCharsets.US_ASCII));
        HttpAnswer answer = readHttpAnswer(socket.getInputStream());
        return new RawWebSocket(socket, answer, key);
    }

    public static RawWebSocket connect(int port, String pathAndQuery) throws IOException {
        return connect(port, pathAndQuery, Map.of());
    }

    /** Sends one plain HTTP GET and returns the answer (connection closed afterwards). */
    public static HttpAnswer httpGet(int port, String path) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + port
                    + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            return readHttpAnswer(socket.getInputStream());
        }
    }

    public HttpAnswer handshake() {
        return handshake;
    }

    /** The accept value RFC 6455 requires for this connection's key. */
    public String expectedAccept() {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-1").digest((key + GUID).getBytes(StandardCharsets.US_ASCII));
            return Base64.getEncoder().encodeToString(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public void sendText(String text) throws IOException {
        sendFrame(true, TEXT, text.getBytes(StandardCharsets.UTF_8));
    }

    public void sendJson(String json) throws IOException {
        sendText(json);
    }

    /** Text frames in one write: the server reads them together, before anything it starts for the first completes. */
    public void sendTexts(String... texts) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (String text : texts) {
            all.writeBytes(frame(true, TEXT, text.getBytes(StandardCharsets.UTF_8)));
        }
        out.write(all.toByteArray());
        out.flush();
    }

    /**
     * A file chunk's binary message as PROTOCOL.md section 11 lays it out: the header's length (2 bytes,
     * big-endian), the JSON header, then the data.
     */
    public static byte[] fileChunk(String header, byte[] data) {
        byte[] headerBytes = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(2 + headerBytes.length + data.length)
                .putShort((short) headerBytes.length).put(headerBytes).put(data).array();
    }

    /** The header of chunk {@code offset} of {@code fileId}, with ref {@code chunk-<offset>}. */
    public static String fileChunkHeader(String fileId, long offset) {
        return "{\"type\":\"upload.chunk\",\"ref\":\"chunk-" + offset + "\",\"fileId\":\"" + fileId
                + "\",\"offset\":" + offset + "}";
    }

    /** Binary frames in one write, as {@link #sendTexts}. */
    public void sendBinaries(byte[]... payloads) throws IOException {
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        for (byte[] payload : payloads) {
            all.writeBytes(frame(true, BINARY, payload));
        }
        out.write(all.toByteArray());
        out.flush();
    }

    public void sendFrame(boolean fin, int opcode, byte[] payload) throws IOException {
        out.write(frame(fin, opcode, payload));
        out.flush();
    }

    private static byte[] frame(boolean fin, int opcode, byte[] payload) {
        ByteArrayOutputStream frame = new ByteArrayOutputStream(payload.length + 14);
        frame.write((fin ? 0x80 : 0) | opcode);
        if (payload.length < 126) {
            frame.write(0x80 | payload.length);
        } else if (payload.length < 65536) {
            frame.write(0x80 | 126);
            frame.write(payload.length >>> 8);
            frame.write(payload.length & 0xff);
        } else {
            frame.write(0x80 | 127);
            frame.writeBytes(ByteBuffer.allocate(8).putLong(payload.length).array());
        }
        byte[] mask = randomBytes(4);
        frame.writeBytes(mask);
        for (int i = 0; i < payload.length; i++) {
            frame.write(payload[i] ^ mask[i % 4]);
        }
        return frame.toByteArray();
    }

    /** Next frame of any kind; null on EOF. */
    public Frame receive(Duration timeout) throws IOException {
        socket.setSoTimeout((int) timeout.toMillis());
        int first = in.read();
        if (first < 0) {
            return null;
        }
        int second = readByte();
        long length = second & 0x7f;
        if (length == 126) {
            length = (readByte() << 8) | readByte();
        } else if (length == 127) {
            length = ByteBuffer.wrap(in.readNBytes(8)).getLong();
        }
        byte[] payload = in.readNBytes((int) length);
        return new Frame(first & 0x0f, payload, (first & 0x40) != 0);
    }

    /** Next data message as JSON, skipping pings; fails on close or EOF. */
    public JsonNode receiveJson() throws IOException {
        while (true) {
            Frame frame = receive(Duration.ofSeconds(10));
            if (frame == null) {
                throw new IOException("connection closed by server");
            }
            if (frame.opcode() == CLOSE) {
                throw new IOException("close frame " + frame.closeCode());
            }
            if (frame.opcode() == TEXT) {
                return JSON.readTree(frame.payload());
            }
        }
    }

    /** Next JSON message whose {@code type} is {@code type}, skipping every other message. */
    public JsonNode receiveType(String type) throws IOException {
        while (true) {
            JsonNode message = receiveJson();
            if (type.equals(message.path("type").asText())) {
                return message;
            }
        }
    }

    /**
     * On a permessage-deflate connection: the next JSON message whose {@code type} is {@code type},
     * inflated, skipping every other message; fails if a text frame came uncompressed (RSV1 clear).
     * {@code inflater} is this connection's ({@code new Inflater(true)}), kept across calls: the server
     * may keep its window from one message to the next.
     */
    public JsonNode receiveInflatedType(Inflater inflater, String type) throws IOException, DataFormatException {
        while (true) {
            Frame frame = receive(Duration.ofSeconds(10));
            if (frame == null) {
                throw new IOException("connection closed by server");
            }
            if (frame.opcode() != TEXT) {
                continue;
            }
            if (!frame.compressed()) {
                throw new AssertionError("a text frame came uncompressed (RSV1 clear): " + frame.text());
            }
            byte[] input = Arrays.copyOf(frame.payload(), frame.payload().length + 4);
            System.arraycopy(new byte[] {0, 0, (byte) 0xff, (byte) 0xff}, 0, input, frame.payload().length, 4); // RFC 7692 §7.2.2
            inflater.setInput(input);
            ByteArrayOutputStream text = new ByteArrayOutputStream();
            byte[] buffer = new byte[4096];
            int count;
            while ((count = inflater.inflate(buffer)) > 0) {
                text.write(buffer, 0, count);
            }
            JsonNode message = JSON.readTree(text.toByteArray());
            if (type.equals(message.path("type").asText())) {
                return message;
            }
        }
    }

    /** Reads until a close frame arrives and returns its code; -1 if the TCP connection ends without one. */
    public int awaitClose(Duration timeout) throws IOException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            Frame frame;
            try {
                frame = receive(Duration.ofMillis(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (SocketTimeoutException e) {
                break;
            } catch (IOException e) {
                return -1;
            }
            if (frame == null) {
                return -1;
            }
            if (frame.opcode() == CLOSE) {
                return frame.closeCode();
            }
        }
        throw new SocketTimeoutException("no close within " + timeout);
    }

    /** True once the server has closed the TCP connection (reads EOF). */
    public boolean isClosedByServer(Duration timeout) throws IOException {
        try {
            while (true) {
                Frame frame = receive(timeout);
                if (frame == null) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }

    /** Closes with a TCP reset instead of a close handshake. */
    public void abort() throws IOException {
        socket.setSoLinger(true, 0);
        socket.close();
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }

    private int readByte() throws IOException {
        int value = in.read();
        if (value < 0) {
            throw new IOException("unexpected end of stream");
        }
        return value;
    }

    private static HttpAnswer readHttpAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        int matched = 0;
        while (matched < 4) {
            int value = in.read();
            if (value < 0) {
                throw new IOException("connection closed before the HTTP answer");
            }
            head.write(value);
            matched = (value == '\r' || value == '\n') && "\r\n\r\n".charAt(matched) == value ? matched + 1
                    : value == '\r' ? 1 : 0;
        }
        String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
        int status = Integer.parseInt(lines[0].split(" ")[1]);
        Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++) {
            int colon = lines[i].indexOf(':');
            if (colon > 0) {
                headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
            }
        }
        String body = "";
        String length = headers.get("content-length");
        if (status != 101 && length != null) {
            body = new String(in.readNBytes(Integer.parseInt(length)), StandardCharsets.UTF_8);
        }
        return new HttpAnswer(status, headers, body);
    }

    private static byte[] randomBytes(int count) {
        byte[] bytes = new byte[count];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
