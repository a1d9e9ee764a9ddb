package dev.switchboard.client;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A file as a message carries it ({@code message.message.file}, docs/PROTOCOL.md section 11), and as
 * {@link SwitchboardClient#uploadFile} completes with it. Its recipients download it from
 * {@code GET /files/{id}} on the server's HTTP port.
 *
 * @param id          {@code f-} and 32 hex digits
 * @param name        the name it was uploaded under
 * @param size        its length in bytes
 * @param contentType its media type, such as {@code image/png}
 */
public record FileInfo(String id, String name, long size, String contentType) {

    /** The file an inbox message or an upload result describes, or null when {@code node} is not an object. */
    static FileInfo from(JsonNode node) {
        if (node == null || !node.isObject()) {
            return null;
        }
        JsonNode id = node.has("fileId") ? node.get("fileId") : node.get("id");
        return new FileInfo(id == null ? null : id.asText(null), Wire.text(node, "name"), node.path("size").asLong(),
                Wire.text(node, "contentType"));
    }
}
