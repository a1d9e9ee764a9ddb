package dev.switchboard.server.auth;

import io.netty.util.concurrent.FastThreadLocal;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.math.BigInteger;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The keys a server checks token signatures with, and which algorithm each key serves: HS256 with the
 * shared secret, RS256 with RSA public keys, ES256 with P-256 public keys. The algorithm a token names
 * picks the keys, and a key serves one algorithm only, so a token cannot choose how a key is used: an
 * HS256 token "signed" with a public key's bytes as the secret meets no HMAC key but the secret.
 * Several public keys may be configured (a key rotation: tokens signed with the old and with the new
 * key are both accepted while both are listed). Thread-safe.
 *
 * @implNote An HMAC takes about a microsecond and runs on the event loop, in the handshake. On a 2-core
 * virtual machine with JDK 17 an RS256 check (2048-bit key) took 40–100 µs and an ES256 check 1.4–2 ms:
 * those run on the authenticator's token-check threads ({@link HandshakeAuthenticator}), so that a
 * loop's other connections do not wait for them. {@link Mac} and {@link Signature} objects are not
 * thread-safe, so each thread keeps its own.
 */
final class TokenKeys {
    private static final int MIN_SECRET_BYTES = 32;
    static final int MIN_RSA_BITS = 2048;
    private static final int ES256_SIGNATURE_BYTES = 64;
    /** The order of P-256's base point: an ECDSA signature's R and S lie in [1, n - 1]. */
    private static final BigInteger P256_ORDER =
            new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

    private final SecretKeySpec secret;
    private final FastThreadLocal<Mac> macs;
    private final List<RSAPublicKey> rsaKeys;
    private final List<ECPublicKey> ecKeys;
    private final FastThreadLocal<Signature> rsaSignatures = threadLocalSignature("SHA256withRSA");
    /** JWS carries an ECDSA signature as R and S side by side (RFC 7518, 3.4), not Java's default DER. */
    private final FastThreadLocal<Signature> ecSignatures = threadLocalSignature("SHA256withECDSAinP1363Format");

    /**
     * @param secret     HS256 shared secret, at least 32 bytes, or null/empty for none
     * @param publicKeys RSA keys of at least 2048 bits and P-256 EC keys ({@link PemPublicKeys})
     */
    TokenKeys(String secret, List<PublicKey> publicKeys) {
        if (secret != null && !secret.isEmpty()) {
            byte[] secretBytes = secret.getBytes(StandardCharsets.UTF_8);
            if (secretBytes.length < MIN_SECRET_BYTES) {
                throw new IllegalArgumentException("auth.jwtSecret must be at least 32 bytes for HS256");
            }
            if (secret.startsWith("-----BEGIN")) { // a PEM key pasted as the secret would make a public value sign tokens
                throw new IllegalArgumentException("auth.jwtSecret holds a PEM key; public keys go in auth.jwtPublicKeyFile");
            }
            SecretKeySpec key = new SecretKeySpec(secretBytes, "HmacSHA256");
            this.secret = key;
            this.macs = new FastThreadLocal<>() {
                @Override
                protected Mac initialValue() throws GeneralSecurityException {
                    Mac mac = Mac.getInstance("HmacSHA256");
                    mac.init(key);
                    return mac;
                }
            };
        } else {
            this.secret = null;
            this.macs = null;
        }
        this.rsaKeys = publicKeys.stream().filter(RSAPublicKey.class::isInstance).map(RSAPublicKey.class::cast).toList();
        this.ecKeys = publicKeys.stream().filter(ECPublicKey.class::isInstance).map(ECPublicKey.class::cast).toList();
        if (rsaKeys.size() + ecKeys.size() != publicKeys.size()) {
            throw new IllegalArgumentException("only RSA and EC public keys can check tokens");
        }
        // At start-up, not in a handshake: a JDK without these algorithms (a restricted provider) fails here.
        if (!rsaKeys.isEmpty()) {
            rsaSignatures.get();
        }
        if (!ecKeys.isEmpty()) {
            ecSignatures.get();
        }
    }

    /** Whether any key is configured. */
    boolean any() {
        return secret != null || !rsaKeys.isEmpty() || !ecKeys.isEmpty();
    }

    /** Whether some key serves {@code algorithm} (a JWS {@code alg}). */
    boolean serves(String algorithm) {
        return switch (algorithm) {
            case "HS256" -> secret != null;
            case "RS256" -> !rsaKeys.isEmpty();
            case "ES256" -> !ecKeys.isEmpty();
            default -> false;
        };
    }

    /** The algorithms some key serves, for a refusal's reason: "HS256 or RS256". */
    String accepted() {
        StringBuilder names = new StringBuilder();
        if (secret != null) {
            names.append("HS256");
        }
        if (!rsaKeys.isEmpty()) {
            names.append(names.isEmpty() ? "" : " or ").append("RS256");
        }
        if (!ecKeys.isEmpty()) {
            names.append(names.isEmpty() ? "" : " or ").append("ES256");
        }
        return names.toString();
    }

    /**
     * Whether {@code signature} is {@code algorithm}'s signature of {@code signingInput} by one of the
     * keys serving that algorithm; false for an algorithm no key serves.
     */
    boolean verify(String algorithm, byte[] signingInput, byte[] signature) {
        return switch (algorithm) {
            case "HS256" -> secret != null && MessageDigest.isEqual(macs.get().doFinal(signingInput), signature);
            case "RS256" -> anyVerifies(rsaSignatures.get(), rsaKeys, signingInput, signature);
            case "ES256" -> isEs256InRange(signature) && anyVerifies(ecSignatures.get(), ecKeys, signingInput, signature);
            default -> false;
        };
    }

    /**
     * Whether an ES256 signature is 64 bytes and both its halves, R and S, lie in [1, n - 1]. The JDK
     * checks this itself since 17.0.3; 17.0.0 to 17.0.2 accepted R = S = 0 for any message and key
     * (CVE-2022-21449), so the server checks it too.
     */
    static boolean isEs256InRange(byte[] signature) {
        if (signature.length != ES256_SIGNATURE_BYTES) {
            return false;
        }
        BigInteger r = new BigInteger(1, signature, 0, ES256_SIGNATURE_BYTES / 2);
        BigInteger s = new BigInteger(1, signature, ES256_SIGNATURE_BYTES / 2, ES256_SIGNATURE_BYTES / 2);
        return r.signum() > 0 && s.signum() > 0 && r.compareTo(P256_ORDER) < 0 && s.compareTo(P256_ORDER) < 0;
    }

    private static boolean anyVerifies(Signature check, List<? extends PublicKey> keys, byte[] signingInput, byte[] signature) {
        for (PublicKey key : keys) {
            try {
                check.initVerify(key);
                check.update(signingInput);
                if (check.verify(signature)) {
                    return true;
                }
            } catch (GeneralSecurityException e) {
                // a signature this key cannot even parse is not this key's: try the next one
            }
        }
        return false;
    }

    private static FastThreadLocal<Signature> threadLocalSignature(String algorithm) {
        return new FastThreadLocal<>() {
            @Override
            protected Signature initialValue() throws GeneralSecurityException {
                return Signature.getInstance(algorithm);
            }
        };
    }
}
