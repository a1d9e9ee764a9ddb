package dev.switchboard.server.cli;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Mints an HS256 token for testing and scripts; production tokens come from the application's backend. */
@Command(name = "token", mixinStandardHelpOptions = true, description = "Print a signed HS256 JWT.")
public final class TokenCommand implements Callable<Integer> {

    @Option(names = "--secret", required = true, description = "the server's auth.jwtSecret (at least 32 bytes)")
    String secret;

    @Option(names = "--user", required = true, description = "user id (sub)")
    String user;

    @Option(names = "--device", description = "device id claim")
    String device;

    @Option(names = "--ttl", description = "lifetime, ISO-8601 (default PT1H)", defaultValue = "PT1H")
    Duration timeToLive;

    @Override
    public Integer call() throws JOSEException {
        Instant now = Instant.now();
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .subject(user)
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(timeToLive)));
        if (device != null) {
            claims.claim("device", device);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims.build());
        jwt.sign(new MACSigner(secret.getBytes(StandardCharsets.UTF_8)));
        System.out.println(jwt.serialize());
        return 0;
    }
}
