package dev.switchboard.bench.load;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;

/** HS256 tokens for Switchboard's JWT handshake scenario (signed here, verified by the server). */
public final class Tokens {
    private static MACSigner signer;
    /** Signed once per user: the handshake scenario measures the server's verification, not our signing. */
    private static final java.util.Map<String, String> CACHE = new java.util.concurrent.ConcurrentHashMap<>();

    private Tokens() {
    }

    public static void useSecret(String secret) {
        try {
            signer = new MACSigner(secret.getBytes(StandardCharsets.UTF_8));
            SwitchboardDialect.token = secret;
        } catch (JOSEException e) {
            throw new IllegalArgumentException(e);
        }
    }

    static String forUser(String user) {
        return CACHE.computeIfAbsent(user, Tokens::sign);
    }

    private static String sign(String user) {
        try {
            JWTClaimsSet claims = new JWTClaimsSet.Builder().subject(user).claim("device", "bench")
                    .expirationTime(Date.from(Instant.now().plusSeconds(3600))).build();
            SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
            jwt.sign(signer);
            return jwt.serialize();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
