package dev.switchboard.server.store;

import java.util.List;

/** A group and, where the operation returns them, its members (sorted); otherwise an empty list. */
public record GroupInfo(String groupId, String name, List<String> members) {
}
