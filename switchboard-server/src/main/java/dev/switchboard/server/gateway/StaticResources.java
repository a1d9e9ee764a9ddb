package dev.switchboard.server.gateway;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Files of a web page, served from a folder on the class path ({@code web/} for the chat page,
 * {@code admin/} for the admin page). Each file is read once and
 * kept in memory (a handful of small files), so serving never touches the disk after the first hit.
 */
public final class StaticResources {
    private static final Map<String, String> CONTENT_TYPES = Map.of(
            "html", "text/html; charset=utf-8",
            "js", "text/javascript; charset=utf-8",
            "mjs", "text/javascript; charset=utf-8",
            "css", "text/css; charset=utf-8",
            "json", "application/json",
            "svg", "image/svg+xml",
            "png", "image/png",
            "ico", "image/x-icon",
            "ts", "text/plain; charset=utf-8");

    public record Resource(byte[] body, String contentType) {
    }

    private final String root;
    private final Map<String, Resource> cache = new ConcurrentHashMap<>();

    /** @param root class-path folder, e.g. {@code /web} */
    public StaticResources(String root) {
        this.root = root;
    }

    /** The file for a request path, or empty; rejects anything that could leave the web root. */
    public Optional<Resource> find(String path) {
        String normalized = path.equals("/") ? "/index.html" : path;
        if (normalized.contains("..") || normalized.contains("//") || normalized.contains("\\")) {
            return Optional.empty();
        }
        Resource cached = cache.get(normalized);
        if (cached != null) {
            return Optional.of(cached);
        }
        // Only files that exist are cached: unknown paths must not grow the heap.
        Optional<Resource> loaded = load(normalized);
        loaded.ifPresent(resource -> cache.put(normalized, resource));
        return loaded;
    }

    private Optional<Resource> load(String path) {
        int dot = path.lastIndexOf('.');
        String extension = dot < 0 ? "" : path.substring(dot + 1).toLowerCase(Locale.ROOT);
        String contentType = CONTENT_TYPES.get(extension);
        if (contentType == null) {
            return Optional.empty();
        }
        try (InputStream in = StaticResources.class.getResourceAsStream(root + path)) {
            return in == null ? Optional.empty() : Optional.of(new Resource(in.readAllBytes(), contentType));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
