package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.switchboard.protocol.TargetKind;
import java.util.Objects;

/**
 * One entry of this user's inbox: a chat message (sent by someone else, or by this user from any of
 * their devices) with its place {@code seq} in the inbox. Fields mirror {@code message.message} of the
 * wire protocol; a field the server left out is null (or 0 for numbers).
 *
 * @param seq        place in this user's inbox, 1, 2, 3 … without gaps (except truncated ranges)
 * @param id         server message id, the same for every recipient of the message
 * @param from       sender user id
 * @param fromDevice sender device id
 * @param to         the recipient as sent; null only when the server sent an unreadable {@code to}
 * @param clientId   the sender's client id
 * @param timestamp  server time of storage, milliseconds since the epoch
 * @param body       the JSON body as sent
 * @param file       the file the message carries (docs/PROTOCOL.md section 11), or null
 */
public record InboxMessage(long seq, long id, String from, String fromDevice, Target to, String clientId,
                           long timestamp, JsonNode body, FileInfo file) {

    /** A message without a file. */
    public InboxMessage(long seq, long id, String from, String fromDevice, Target to, String clientId,
                        long timestamp, JsonNode body) {
        this(seq, id, from, fromDevice, to, clientId, timestamp, body, null);
    }

    /**
     * The conversation this message belongs to, as seen by {@code selfUserId}: the group id for a group
     * message; for a 1:1 message the other party, that is {@code to.id} when {@code selfUserId} sent it and
     * {@code from} otherwise.
     *
     * @param selfUserId this client's user id ({@link SwitchboardClient#userId()})
     * @return the group id or the other user's id; null only if the message lacks the needed field
     */
    public String conversationId(String selfUserId) {
        if (to != null && to.kind() == TargetKind.GROUP) {
            return to.id();
        }
        if (Objects.equals(from, selfUserId)) {
            return to == null ? null : to.id();
        }
        return from;
    }
}
