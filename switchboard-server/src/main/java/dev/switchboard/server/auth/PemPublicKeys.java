package dev.switchboard.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads the public keys that check RS256 and ES256 tokens from a PEM file: one or more
 * {@code -----BEGIN PUBLIC KEY-----} blocks (X.509 SubjectPublicKeyInfo, what
 * {@code openssl pkey -pubout} writes), each an RSA key of at least 2048 bits or an EC key on P-256.
 * Anything else in the file outside the blocks is ignored; a file without a block, or with a key of
 * another kind or size, is refused at start-up with a message that says which block.
 */
final class PemPublicKeys {
    private static final Pattern BLOCK = Pattern.compile(
            "-----BEGIN PUBLIC KEY-----([A-Za-z0-9+/=\\s]*)-----END PUBLIC KEY-----");
    private static final int P256_FIELD_BITS = 256;

    private PemPublicKeys() {
    }

    static List<PublicKey> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.US_ASCII);
        } catch (IOException e) {
            throw new IllegalArgumentException("auth.jwtPublicKeyFile " + file + " cannot be read: " + e.getMessage(), e);
        }
        return parse(text, "auth.jwtPublicKeyFile " + file);
    }

    static List<PublicKey> parse(String pem, String source) {
        List<PublicKey> keys = new ArrayList<>();
        Matcher block = BLOCK.matcher(pem);
        while (block.find()) {
            int number = keys.size() + 1;
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(block.group(1));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": public key " + number + " is not base64", e);
            }
            keys.add(checked(decode(der, source, number), source, number));
        }
        if (keys.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no -----BEGIN PUBLIC KEY----- block");
        }
        return List.copyOf(keys);
    }

    private static PublicKey decode(byte[] der, String source, int number) {
        for (String algorithm : List.of("RSA", "EC")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
            } catch (GeneralSecurityException e) {
                // not a key of this kind: try the next
            }
        }
        throw new IllegalArgumentException(source + ": public key " + number + " is neither an RSA nor an EC key");
    }

    private static PublicKey checked(PublicKey key, String source, int number) {
        if (key instanceof RSAPublicKey rsa && rsa.getModulus().bitLength() < TokenKeys.MIN_RSA_BITS) {
            throw new IllegalArgumentException(source + ": public key " + number + " is RSA of "
                    + rsa.getModulus().bitLength() + " bits; RS256 needs at least " + TokenKeys.MIN_RSA_BITS);
        }
        if (key instanceof ECPublicKey ec && ec.getParams().getCurve().getField().getFieldSize() != P256_FIELD_BITS) {
            throw new IllegalArgumentException(source + ": public key " + number + " is EC on a "
                    + ec.getParams().getCurve().getField().getFieldSize() + "-bit curve; ES256 needs P-256");
        }
        return key;
    }
}
