package dev.switchboard.server.store;

import dev.switchboard.server.registry.JsonObjectWriter;
import java.nio.charset.StandardCharsets;

/**
 * A file upload as stored (docs/PROTOCOL.md section 11): complete once {@code received == size}.
 *
 * @param id          {@code f-} and 32 hex digits
 * @param ownerId     the user who uploads it; only they add chunks to it or send it
 * @param received    bytes stored so far: the next chunk's offset
 * @param createdAt   when the upload started, ms since the epoch
 * @param completedAt when its last chunk was stored, 0 while it is not complete
 */
public record StoredFile(
        String id,
        String ownerId,
        String name,
        String contentType,
        long size,
        long received,
        long createdAt,
        long completedAt) {

    public boolean isComplete() {
        return received == size;
    }

    /** This upload with {@code length} more bytes stored at {@code now}. */
    StoredFile withChunk(int length, long now) {
        long total = received + length;
        return new StoredFile(id, ownerId, name, contentType, size, total, createdAt, total == size ? now : 0);
    }

    /** What a message that carries this file says of it: the JSON object {@code {id, name, size, contentType}}. */
    public String descriptionJson() {
        return new String(new JsonObjectWriter(96 + name.length() + contentType.length())
                .string("id", id)
                .string("name", name)
                .number("size", size)
                .string("contentType", contentType)
                .toBytes(), StandardCharsets.UTF_8);
    }
}
