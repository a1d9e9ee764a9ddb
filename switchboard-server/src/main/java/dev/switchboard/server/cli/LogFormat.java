package dev.switchboard.server.cli;

/**
 * Chooses the logback configuration before the first logger exists: text (key=value pairs) or
 * JSON lines. From the flag, else {@code SWITCHBOARD_LOG_FORMAT}.
 */
final class LogFormat {
    private LogFormat() {
    }

    static void apply(String flag) {
        String format = flag != null ? flag : System.getenv("SWITCHBOARD_LOG_FORMAT");
        if ("json".equalsIgnoreCase(format) && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
        }
    }
}
