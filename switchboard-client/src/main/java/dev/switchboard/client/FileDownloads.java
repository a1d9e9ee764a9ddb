package dev.switchboard.client;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.CompletableFuture;

/**
 * Downloads of files over HTTP ({@code GET /files/{id}}, docs/PROTOCOL.md section 11), authenticated as
 * the client's WebSocket is: with the token of its {@link ClientConfig#tokenProvider()} in an
 * {@code Authorization} header, else as its {@link ClientConfig#devUser()} (development mode).
 */
final class FileDownloads {
    /** One JDK client for every download of the process: it keeps a selector thread, made on first use. */
    private static final class Shared {
        static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    }

    private FileDownloads() {
    }

    /** {@code GET /files/{id}} on the server of {@code serverUri} ({@code ws} → {@code http}, {@code wss} → {@code https}). */
    static URI fileUri(URI serverUri, String fileId) {
        String scheme = "wss".equalsIgnoreCase(serverUri.getScheme()) ? "https" : "http";
        return URI.create(scheme + "://" + serverUri.getRawAuthority() + "/files/" + fileId);
    }

    /**
     * Downloads {@code file} into {@code target} (written to a temporary file beside it, then moved into
     * place, so {@code target} never holds part of a file). Runs on the JDK HTTP client's threads; the
     * token provider is called on the caller's thread. An interrupted download starts again from the
     * beginning (the server answers ranges, but this method does not ask for one).
     */
    static CompletableFuture<Path> download(ClientConfig config, FileInfo file, Path target) {
        URI uri = fileUri(config.serverUri(), file.id());
        HttpRequest.Builder request = HttpRequest.newBuilder().timeout(config.connectTimeout().multipliedBy(6));
        String token;
        try {
            token = config.tokenProvider() == null ? null : config.tokenProvider().get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(new SwitchboardException("the token provider failed: " + e, e));
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        } else if (config.devUser() != null) {
            uri = URI.create(uri + "?user=" + URLEncoder.encode(config.devUser(), StandardCharsets.UTF_8));
        }
        Path partial;
        try {
            Path directory = target.toAbsolutePath().getParent();
            partial = Files.createTempFile(directory, ".download-", ".part");
        } catch (java.io.IOException e) {
            return CompletableFuture.failedFuture(new SwitchboardException("cannot write beside " + target, e));
        }
        return Shared.HTTP.sendAsync(request.uri(uri).GET().build(), HttpResponse.BodyHandlers.ofFile(partial))
                .handle((response, error) -> {
                    try {
                        if (error != null) {
                            throw new SwitchboardException("download of " + file.id() + " failed: " + error, error);
                        }
                        if (response.statusCode() != 200) {
                            throw new SwitchboardException("download of " + file.id() + " answered "
                                    + response.statusCode(), null, -1, response.statusCode(), null);
                        }
                        if (Files.size(partial) != file.size()) {
                            throw new SwitchboardException("download of " + file.id() + " ended after "
                                    + Files.size(partial) + " of " + file.size() + " bytes");
                        }
                        return Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                    } catch (java.io.IOException e) {
                        throw new SwitchboardException("cannot write " + target, e);
                    } finally {
                        try {
                            Files.deleteIfExists(partial);
                        } catch (java.io.IOException ignored) {
                            // a temporary file left behind; the download's outcome stands
                        }
                    }
                });
    }
}
