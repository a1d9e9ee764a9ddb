package dev.switchboard.server.webhook;

import dev.switchboard.server.registry.JsonObjectWriter;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The body of one webhook request: {@code {"node":…,"events":[…]}}, each event
 * {@code {"id":…,"type":…,"ts":…, fields of its type}} (docs/OPERATIONS.md, "Webhooks").
 */
final class WebhookBody {
    private WebhookBody() {
    }

    /**
     * @param nodeId   the node that sends it
     * @param idPrefix the start of every event id of this node's run: the node id and the run's start, so
     *                 ids stay unique across restarts of a node with a fixed id
     * @param firstSequence the number of the first event, completing its id; the next ones count up
     */
    static byte[] encode(String nodeId, String idPrefix, long firstSequence, List<WebhookEvent> events) {
        int size = 64;
        for (WebhookEvent event : events) {
            size += event.sizeHint();
        }
        ByteArrayOutputStream body = new ByteArrayOutputStream(size);
        byte[] head = new JsonObjectWriter(64).string("node", nodeId).toBytes();
        body.write(head, 0, head.length - 1); // without its closing brace: the events follow
        body.writeBytes(",\"events\":[".getBytes(StandardCharsets.US_ASCII));
        for (int i = 0; i < events.size(); i++) {
            WebhookEvent event = events.get(i);
            if (i > 0) {
                body.write(',');
            }
            JsonObjectWriter json = new JsonObjectWriter(event.sizeHint())
                    .string("id", idPrefix + (firstSequence + i))
                    .string("type", event.type())
                    .number("ts", event.timestampMillis());
            event.writeFields(json);
            body.writeBytes(json.toBytes());
        }
        body.writeBytes("]}".getBytes(StandardCharsets.US_ASCII));
        return body.toByteArray();
    }
}
