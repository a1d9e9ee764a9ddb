package dev.switchboard.server.cli;

/**
 * Chooses the logback configuration before the first logger exists: text (key=value pairs) or
 * JSON lines. From the flag, else {@code SWITCHBOARD_LOG_FORMAT}. Both log through a bounded
 * asynchronous queue, which {@link #flush} writes out at shutdown.
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

    /** Stops logging after writing out every queued line (the last thing a shutdown does). */
    static void flush() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.stop();
        }
    }
}
