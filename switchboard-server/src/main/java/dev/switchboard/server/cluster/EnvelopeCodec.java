package dev.switchboard.server.cluster;

import dev.switchboard.server.store.Recipient;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Binary form of an {@link Envelope} on the node channels: {@code long committedAtMillis, int count,
 * (UTF user, long seq) × count, int length, payload}. Compact, and the payload bytes pass through untouched, so the
 * receiving node writes exactly what the storing node encoded.
 */
public final class EnvelopeCodec {
    private static final int MAX_RECIPIENTS = 1_000_000;

    private EnvelopeCodec() {
    }

    public static byte[] encode(Envelope envelope) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + envelope.payload().length
                + 24 * envelope.recipients().size());
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeLong(envelope.committedAtMillis());
            out.writeInt(envelope.recipients().size());
            for (Recipient recipient : envelope.recipients()) {
                out.writeUTF(recipient.userId());
                out.writeLong(recipient.seq());
            }
            out.writeInt(envelope.payload().length);
            out.write(envelope.payload());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Decodes, or throws {@link IllegalArgumentException} for bytes that are not an envelope. */
    public static Envelope decode(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(bytes))) {
            long committedAtMillis = in.readLong();
            int count = in.readInt();
            if (count < 0 || count > MAX_RECIPIENTS) {
                throw new IllegalArgumentException("bad recipient count " + count);
            }
            List<Recipient> recipients = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                recipients.add(new Recipient(in.readUTF(), in.readLong()));
            }
            int length = in.readInt();
            if (length < 0 || length > bytes.length) {
                throw new IllegalArgumentException("bad payload length " + length);
            }
            byte[] payload = in.readNBytes(length);
            if (payload.length != length) {
                throw new IllegalArgumentException("payload truncated: " + payload.length + " of " + length + " bytes");
            }
            return new Envelope(List.copyOf(recipients), payload, committedAtMillis);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated envelope", e);
        }
    }
}
