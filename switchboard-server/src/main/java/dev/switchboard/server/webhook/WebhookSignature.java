package dev.switchboard.server.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signs a webhook request so the backend can tell it came from its Switchboard and was not replayed:
 * {@code X-Switchboard-Signature: sha256=HEX}, the HMAC-SHA256 with {@code webhooks.secret} of the
 * {@code X-Switchboard-Timestamp} header's value (Unix seconds), a {@code .}, and the body's exact bytes.
 * The receiver recomputes it, compares in constant time, and refuses timestamps far from its clock
 * (docs/OPERATIONS.md shows how).
 */
public final class WebhookSignature {
    public static final String TIMESTAMP_HEADER = "X-Switchboard-Timestamp";
    public static final String SIGNATURE_HEADER = "X-Switchboard-Signature";
    private static final String ALGORITHM = "HmacSHA256";
    private static final String PREFIX = "sha256=";

    private WebhookSignature() {
    }

    /** The {@value #SIGNATURE_HEADER} value for {@code body} sent at {@code timestampSeconds}. */
    public static String sign(byte[] secret, long timestampSeconds, byte[] body) {
        try {
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(secret, ALGORITHM));
            mac.update((timestampSeconds + ".").getBytes(StandardCharsets.US_ASCII));
            return PREFIX + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Whether {@code signature} is the one {@link #sign} gives, compared in constant time (what a receiver does). */
    public static boolean verify(byte[] secret, long timestampSeconds, byte[] body, String signature) {
        byte[] expected = sign(secret, timestampSeconds, body).getBytes(StandardCharsets.US_ASCII);
        return signature != null && MessageDigest.isEqual(expected, signature.getBytes(StandardCharsets.US_ASCII));
    }
}
