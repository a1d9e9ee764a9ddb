package dev.switchboard.server.store;

import java.util.List;

/**
 * A slice of an inbox read in one snapshot.
 *
 * @param entries in increasing seq order; seqs missing between them have expired
 * @param lastSeq the inbox's newest seq at the time of the read (0 for an empty inbox)
 */
public record InboxPage(List<InboxEntry> entries, long lastSeq) {
}
