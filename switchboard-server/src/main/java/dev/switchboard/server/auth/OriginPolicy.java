package dev.switchboard.server.auth;

import java.net.URI;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The {@code Origin} allow-list that protects against cross-site WebSocket hijacking (WebSocket is
 * not covered by CORS). No Origin header (a non-browser client) is allowed; a same-origin page is
 * allowed; anything else must be listed, or the list must contain "*".
 */
public final class OriginPolicy {
    private final Set<String> allowed;
    private final boolean allowAll;

    public OriginPolicy(List<String> allowedOrigins) {
        this.allowed = allowedOrigins.stream().map(OriginPolicy::normalize).collect(Collectors.toUnmodifiableSet());
        this.allowAll = allowed.contains("*");
    }

    /**
     * @param origin the request's Origin header, or null
     * @param host   the request's Host header, or null
     */
    public boolean allows(String origin, String host) {
        if (origin == null || allowAll) {
            return true;
        }
        String normalized = normalize(origin);
        if (allowed.contains(normalized)) {
            return true;
        }
        if (host == null) {
            return false;
        }
        try {
            URI uri = URI.create(normalized);
            String authority = uri.getRawAuthority();
            return authority != null && authority.equalsIgnoreCase(host.trim());
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static String normalize(String origin) {
        String trimmed = origin.trim().toLowerCase(Locale.ROOT);
        return trimmed.endsWith("/") ? trimmed.substring(0, trimmed.length() - 1) : trimmed;
    }
}
