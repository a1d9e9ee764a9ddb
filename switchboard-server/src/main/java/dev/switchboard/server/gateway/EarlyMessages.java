package dev.switchboard.server.gateway;

import java.util.ArrayList;
import java.util.List;

/**
 * The messages a connection received after its upgrade and before its session started (while its
 * device state is read): held in order, at most {@value #MAX} of them. A client should wait for the
 * {@code welcome}; one that floods before it is closed instead of buffered without limit.
 */
final class EarlyMessages {
    static final int MAX = 8;

    /** Text messages as received; null stands for a binary message (refused once the session starts). */
    private final List<String> messages = new ArrayList<>(2);

    /** Holds a text message, or a binary one ({@code text} null); false when {@value #MAX} are already held. */
    boolean hold(String text) {
        if (messages.size() >= MAX) {
            return false;
        }
        messages.add(text);
        return true;
    }

    /** The held messages, oldest first. */
    List<String> messages() {
        return messages;
    }
}
