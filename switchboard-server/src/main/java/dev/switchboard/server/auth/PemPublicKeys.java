package dev.switchboard.server.auth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
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
 * Text outside the blocks (comments) is ignored. Anything that could leave a key out unnoticed during
 * a rotation is refused at start-up, with a message that says which block: a block of another kind
 * (a PKCS#1 {@code RSA PUBLIC KEY}, a certificate, a private key), a block that does not parse, a key
 * of another kind, size or curve.
 */
final class PemPublicKeys {
    private static final Pattern BEGIN = Pattern.compile("-----BEGIN ([^-\r\n]+)-----");
    private static final Pattern BLOCK = Pattern.compile("-----BEGIN PUBLIC KEY-----([^-]*)-----END PUBLIC KEY-----");
    private static final ECParameterSpec P256 = p256();

    private PemPublicKeys() {
    }

    static List<PublicKey> read(Path file) {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.ISO_8859_1); // any byte: comments may hold anything
        } catch (IOException e) {
            throw new IllegalArgumentException("auth.jwtPublicKeyFile " + file + " cannot be read: " + e.getMessage(), e);
        }
        return parse(text, "auth.jwtPublicKeyFile " + file);
    }

    static List<PublicKey> parse(String pem, String source) {
        Matcher begin = BEGIN.matcher(pem);
        int blocks = 0;
        while (begin.find()) {
            blocks++;
            if (!"PUBLIC KEY".equals(begin.group(1))) {
                throw new IllegalArgumentException(source + ": block " + blocks + " is " + begin.group(1) + ", not PUBLIC KEY"
                        + advice(begin.group(1)));
            }
        }
        List<PublicKey> keys = new ArrayList<>();
        Matcher block = BLOCK.matcher(pem);
        while (block.find()) {
            int number = keys.size() + 1;
            byte[] der;
            try {
                der = Base64.getMimeDecoder().decode(block.group(1).strip());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(source + ": public key " + number + " is not base64", e);
            }
            keys.add(checked(decode(der, source, number), source, number));
        }
        if (blocks == 0) {
            throw new IllegalArgumentException(source + " holds no -----BEGIN PUBLIC KEY----- block");
        }
        if (keys.size() != blocks) {
            throw new IllegalArgumentException(source + ": " + blocks + " blocks begin, " + keys.size()
                    + " end as a PUBLIC KEY block should");
        }
        return List.copyOf(keys);
    }

    private static String advice(String label) {
        if (label.equals("RSA PUBLIC KEY")) {
            return " (PKCS#1: `openssl rsa -RSAPublicKey_in -in FILE -pubout` converts it)";
        }
        return label.contains("PRIVATE") ? " (the server needs only the public key: `openssl pkey -in FILE -pubout`)" : "";
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
        if (key instanceof ECPublicKey ec && !isP256(ec.getParams())) {
            throw new IllegalArgumentException(source + ": public key " + number + " is EC on another curve than P-256,"
                    + " which ES256 needs");
        }
        return key;
    }

    /** The same curve, base point, order and cofactor as P-256 (a field size of 256 bits alone is also secp256k1's). */
    private static boolean isP256(ECParameterSpec params) {
        return params.getCurve().equals(P256.getCurve()) && params.getGenerator().equals(P256.getGenerator())
                && params.getOrder().equals(P256.getOrder()) && params.getCofactor() == P256.getCofactor();
    }

    private static ECParameterSpec p256() {
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec("secp256r1"));
            return parameters.getParameterSpec(ECParameterSpec.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK has no P-256", e);
        }
    }
}
