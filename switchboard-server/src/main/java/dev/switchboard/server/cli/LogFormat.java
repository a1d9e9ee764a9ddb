package dev.switchboard.server.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;

/**
 * Chooses the logback configuration before the first logger exists: text (key=value pairs) or
 * JSON lines. From the flag, else {@code SWITCHBOARD_LOG_FORMAT}. Nothing may ask for a logger before
 * {@link #apply} (no static loggers in the command classes, which load before it runs):
 * {@code JsonLogTest} checks the whole output. Both log through a bounded
 * asynchronous queue, which {@link #flush} writes out at shutdown.
 */
final class LogFormat {
    private static volatile boolean json;

    private LogFormat() {
    }

    static void apply(String flag) {
        String format = flag != null ? flag : System.getenv("SWITCHBOARD_LOG_FORMAT");
        if ("json".equalsIgnoreCase(format) && System.getProperty("logback.configurationFile") == null) {
            System.setProperty("logback.configurationFile", "logback-json.xml");
            json = true;
        }
    }

    /**
     * Prints one of the start-up lines that name the bound ports ("Switchboard listening on …"), which
     * scripts wait for: as it is, or in JSON mode as a JSON object whose message it is, so that every
     * line of the output is one JSON object for a log shipper, and the scripts' patterns still match.
     */
    static void announce(String line) {
        System.out.println(json ? JsonNodeFactory.instance.objectNode().put("timestamp", System.currentTimeMillis())
                .put("level", "INFO").put("message", line).toString() : line);
    }

    /** Stops logging after writing out every queued line (the last thing a shutdown does). */
    static void flush() {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.stop();
        }
    }
}
