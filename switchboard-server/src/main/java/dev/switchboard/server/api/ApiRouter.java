package dev.switchboard.server.api;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The API's route table: method + path pattern → endpoint. Patterns are {@code /}-separated;
 * {@code {name}} captures one segment, {@code {name*}} captures one or more (topic names may contain
 * {@code /}).
 */
final class ApiRouter {

    interface Endpoint {
        CompletableFuture<ApiResponse> handle(ApiRequest request);
    }

    /** A matched route: its endpoint and path parameters; {@code endpoint} null = path known, method not allowed. */
    record Match(Endpoint endpoint, Map<String, String> parameters) {
    }

    private record Route(String method, String[] pattern, Endpoint endpoint) {
    }

    private final List<Route> routes = new ArrayList<>();

    ApiRouter add(String method, String pattern, Endpoint endpoint) {
        routes.add(new Route(method, pattern.substring(1).split("/"), endpoint));
        return this;
    }

    /** The route for {@code method} and {@code path}, or null when no route has this path. */
    Match match(String method, String path) {
        if (!path.startsWith("/")) {
            return null;
        }
        String[] segments = path.substring(1).split("/", -1);
        boolean pathKnown = false;
        for (Route route : routes) {
            Map<String, String> parameters = bind(route.pattern(), segments);
            if (parameters == null) {
                continue;
            }
            if (route.method().equals(method)) {
                return new Match(route.endpoint(), parameters);
            }
            pathKnown = true;
        }
        return pathKnown ? new Match(null, Map.of()) : null;
    }

    private static Map<String, String> bind(String[] pattern, String[] segments) {
        Map<String, String> parameters = new HashMap<>();
        int greedyAt = -1;
        for (int i = 0; i < pattern.length; i++) {
            if (pattern[i].endsWith("*}")) {
                greedyAt = i;
            }
        }
        if (greedyAt < 0 ? segments.length != pattern.length : segments.length < pattern.length) {
            return null;
        }
        int extra = segments.length - pattern.length;
        for (int i = 0, s = 0; i < pattern.length; i++, s++) {
            String part = pattern[i];
            if (i == greedyAt) {
                String value = String.join("/", java.util.Arrays.copyOfRange(segments, s, s + extra + 1));
                parameters.put(part.substring(1, part.length() - 2), value);
                s += extra;
            } else if (part.startsWith("{")) {
                if (segments[s].isEmpty()) {
                    return null;
                }
                parameters.put(part.substring(1, part.length() - 1), segments[s]);
            } else if (!part.equals(segments[s])) {
                return null;
            }
        }
        return parameters;
    }
}
