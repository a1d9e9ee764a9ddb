package dev.switchboard.server.topic;

import java.util.List;

/**
 * Topic name patterns: {@code *} matches any run of characters (dots included), everything else
 * matches itself. {@code "*"} matches every topic, {@code "room.*"} every topic starting with
 * {@code room.}, {@code "prices.*.eur"} e.g. {@code prices.btc.eur}.
 */
public final class TopicPattern {
    private TopicPattern() {
    }

    public static boolean anyMatches(List<String> patterns, String topic) {
        for (String pattern : patterns) {
            if (matches(pattern, topic)) {
                return true;
            }
        }
        return false;
    }

    /** Glob match with backtracking over the last {@code *} only: linear for the usual patterns. */
    public static boolean matches(String pattern, String topic) {
        int p = 0;
        int t = 0;
        int starAt = -1;
        int matchedUpTo = 0;
        while (t < topic.length()) {
            if (p < pattern.length() && pattern.charAt(p) == '*') {
                starAt = p++;
                matchedUpTo = t;
            } else if (p < pattern.length() && pattern.charAt(p) == topic.charAt(t)) {
                p++;
                t++;
            } else if (starAt >= 0) {
                p = starAt + 1;
                t = ++matchedUpTo;
            } else {
                return false;
            }
        }
        while (p < pattern.length() && pattern.charAt(p) == '*') {
            p++;
        }
        return p == pattern.length();
    }
}
