package dev.switchboard.client;

import dev.switchboard.protocol.CloseCodes;

/**
 * Decides what follows the end of a connection (docs/PROTOCOL.md sections 7 and 9): stop for good after
 * a terminal close code (4003 kicked, 4004 banned: {@link CloseCodes#isTerminal}) or a refused handshake
 * (403, or 401 once a fresh token was tried), reconnect at once when a fresh token may help (the first 401
 * in a row, close code 4001), and otherwise reconnect after a backoff delay, whatever the close code (1000
 * from the server included).
 *
 * <p>A pure function of its inputs; thread-safe.
 */
final class ReconnectPolicy {

    /** What the client does next. */
    enum Action {
        /** Wait {@link Backoff#delay(int)}, then connect again. */
        RECONNECT_WITH_BACKOFF,
        /** Connect again at once, asking the token provider for a fresh token. */
        RECONNECT_NOW,
        /** Do not reconnect: the client is closed. */
        STOP
    }

    private ReconnectPolicy() {
    }

    /**
     * @param closeCode         the server's close code, or -1 when none arrived
     * @param httpStatus        the status of a refused handshake, or 0
     * @param hasTokenProvider  whether a fresh token can be asked for
     * @param authFailuresInRow refused handshakes (401/403) in a row, including this one
     */
    static Action decide(int closeCode, int httpStatus, boolean hasTokenProvider, int authFailuresInRow) {
        if (CloseCodes.isTerminal(closeCode)) {
            return Action.STOP;
        }
        if (httpStatus == 401) {
            return hasTokenProvider && authFailuresInRow <= 1 ? Action.RECONNECT_NOW : Action.STOP;
        }
        if (httpStatus == 403) {
            return Action.STOP;
        }
        if (closeCode == CloseCodes.TOKEN_EXPIRED && hasTokenProvider) {
            return Action.RECONNECT_NOW;
        }
        return Action.RECONNECT_WITH_BACKOFF;
    }

    /** True for handshake answers that count as refused authentication. */
    static boolean isAuthRefusal(int httpStatus) {
        return httpStatus == 401 || httpStatus == 403;
    }
}
