package dev.switchboard.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.switchboard.server.config.ServerConfig;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import java.time.Clock;
import java.time.ZoneOffset;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

class HandshakeAuthenticatorTest {
    private static final String SECRET = TokenVerifierTest.SECRET;

    private final Clock clock = Clock.fixed(TokenVerifierTest.NOW, ZoneOffset.UTC);
    private final HandshakeAuthenticator tokensOnly = authenticator(false, SECRET);
    private final HandshakeAuthenticator devMode = authenticator(true, SECRET);

    @Test
    void authenticate_usesQueryToken_whenTokenParameterPresent() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").claim("device", "phone").build());

        Principal principal = tokensOnly.authenticate(request("/ws?token=" + token));

        assertThat(principal.userId()).isEqualTo("alice");
        assertThat(principal.deviceId()).isEqualTo("phone");
        assertThat(principal.expiresAtMillis()).isPositive();
    }

    @Test
    void authenticate_usesBearerHeader_whenNoTokenParameter() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").claim("device", "phone").build());
        FullHttpRequest request = request("/ws");
        request.headers().set(HttpHeaderNames.AUTHORIZATION, "bearer " + token);

        Principal principal = tokensOnly.authenticate(request);

        assertThat(principal.userId()).isEqualTo("alice");
        assertThat(principal.deviceId()).isEqualTo("phone");
    }

    @Test
    void authenticate_usesBearerHeader_whenTheTokenParameterIsEmpty() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").build());
        FullHttpRequest request = request("/ws?token=&device=phone");
        request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + token);

        assertThat(tokensOnly.authenticate(request).userId()).isEqualTo("alice");
    }

    @Test
    void authenticate_usesTheTokenParameter_whenTheHeaderCarriesAnotherToken() throws Exception {
        String query = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").build());
        String header = TokenVerifierTest.sign(TokenVerifierTest.validClaims("bob").build());
        FullHttpRequest request = request("/ws?device=phone&token=" + query);
        request.headers().set(HttpHeaderNames.AUTHORIZATION, "Bearer " + header);

        assertThat(tokensOnly.authenticate(request).userId()).isEqualTo("alice");
    }

    @Test
    void authenticate_prefersDeviceClaim_whenQueryAlsoNamesDevice() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").claim("device", "phone").build());

        Principal principal = tokensOnly.authenticate(request("/ws?device=laptop&token=" + token));

        assertThat(principal.deviceId()).isEqualTo("phone");
    }

    @Test
    void authenticate_usesQueryDevice_whenTokenHasNoDeviceClaim() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").build());

        Principal principal = tokensOnly.authenticate(request("/ws?device=laptop&token=" + token));

        assertThat(principal.deviceId()).isEqualTo("laptop");
    }

    @Test
    void authenticate_generatesAnonymousDevice_whenNoDeviceGiven() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").build());

        Principal first = tokensOnly.authenticate(request("/ws?token=" + token));
        Principal second = tokensOnly.authenticate(request("/ws?token=" + token));

        assertThat(first.deviceId()).startsWith("anon-");
        assertThat(second.deviceId()).startsWith("anon-").isNotEqualTo(first.deviceId());
    }

    @Test
    void authenticate_rejectsWith401_whenTokenInvalid() {
        assertRejected(() -> tokensOnly.authenticate(request("/ws?token=not-a-jwt")), 401);
    }

    @Test
    void authenticate_rejectsWith401_whenNoCredential() {
        assertRejected(() -> tokensOnly.authenticate(request("/ws")), 401);
        assertRejected(() -> devMode.authenticate(request("/ws")), 401);
    }

    @Test
    void authenticate_acceptsUserParameter_whenDevModeOn() throws Exception {
        Principal principal = devMode.authenticate(request("/ws?user=bob&device=web"));

        assertThat(principal.userId()).isEqualTo("bob");
        assertThat(principal.deviceId()).isEqualTo("web");
        assertThat(principal.expiresAtMillis()).as("dev-mode sessions never expire").isZero();
    }

    @Test
    void authenticate_acceptsUserParameter_whenDevModeOnWithoutSecret() throws Exception {
        Principal principal = authenticator(true, "").authenticate(request("/ws?user=bob"));

        assertThat(principal.userId()).isEqualTo("bob");
        assertThat(principal.deviceId()).startsWith("anon-");
    }

    @Test
    void authenticate_rejectsWith401_whenUserParameterAndDevModeOff() {
        assertRejected(() -> tokensOnly.authenticate(request("/ws?user=bob")), 401);
    }

    @Test
    void authenticate_rejectsWith401_whenTokenSentToServerWithoutSecret() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").build());

        assertRejected(() -> authenticator(true, "").authenticate(request("/ws?token=" + token)), 401);
    }

    @Test
    void authenticate_rejectsWith400_whenDeviceParameterInvalid() throws Exception {
        String token = TokenVerifierTest.sign(TokenVerifierTest.validClaims("alice").build());

        assertRejected(() -> tokensOnly.authenticate(request("/ws?device=my%20phone&token=" + token)), 400);
        assertRejected(() -> devMode.authenticate(request("/ws?user=bob&device=my%20phone")), 400);
    }

    @Test
    void authenticate_rejectsWith400_whenDevModeUserInvalid() {
        assertRejected(() -> devMode.authenticate(request("/ws?user=bob%20smith")), 400);
    }

    @Test
    void construct_throwsIllegalArgument_whenNoSecretAndDevModeOff() {
        assertThatThrownBy(() -> authenticator(false, ""))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> authenticator(false, null))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private HandshakeAuthenticator authenticator(boolean devModeOn, String secret) {
        return new HandshakeAuthenticator(new ServerConfig.Auth(devModeOn, secret, "", true, "multi-device"), clock);
    }

    static FullHttpRequest request(String uri) {
        return new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, uri, Unpooled.EMPTY_BUFFER);
    }

    private static void assertRejected(ThrowingCallable call, int status) {
        assertThatThrownBy(call)
                .isInstanceOf(HandshakeRejectedException.class)
                .satisfies(e -> assertThat(((HandshakeRejectedException) e).status()).as("HTTP status").isEqualTo(status));
    }
}
