package dev.switchboard.server.topic;

/** Valid topic names: 1–128 characters of {@code [A-Za-z0-9_.:@/-]}. */
public final class TopicNames {
    public static final int MAX_LENGTH = 128;

    private TopicNames() {
    }

    public static boolean isValid(String topic) {
        if (topic == null || topic.isEmpty() || topic.length() > MAX_LENGTH) {
            return false;
        }
        for (int i = 0; i < topic.length(); i++) {
            char c = topic.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
                    || c == '_' || c == '.' || c == ':' || c == '@' || c == '/' || c == '-';
            if (!allowed) {
                return false;
            }
        }
        return true;
    }
}
