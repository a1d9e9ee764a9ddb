package dev.switchboard.server.store;

import java.util.List;

/**
 * Outcome of {@link MessageStore#append}.
 *
 * @param message    the stored message (the original one when {@code duplicate})
 * @param senderSeq  the message's seq in the sender's own inbox (0 if that entry has expired)
 * @param recipients every inbox entry this append created, the sender's included; for a duplicate, the
 *                   original's entries still stored (for users it would go to now, on the embedded
 *                   store), to be delivered again: the original may never have been, if its commit
 *                   reported a failure but took effect
 * @param duplicate  true when the sender had already stored a message with this client id
 */
public record AppendResult(StoredMessage message, long senderSeq, List<Recipient> recipients, boolean duplicate) {
}
