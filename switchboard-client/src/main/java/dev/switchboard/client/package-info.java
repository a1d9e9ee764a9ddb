/**
 * Java SDK of the Switchboard wire protocol (docs/PROTOCOL.md). Start with
 * {@link dev.switchboard.client.SwitchboardClient} and {@link dev.switchboard.client.ClientConfig}; receive
 * messages through {@link dev.switchboard.client.ClientListener}.
 *
 * <p>Inside, one event loop thread owns all state of a client: {@code ClientEngine} runs the connection
 * life cycle, {@code InboxSequencer} turns replayed and live inbox entries into an exactly-once, in-order
 * stream, {@code PendingSends} keeps unconfirmed sends for resending, {@code SendPacer} lets them out in
 * order at the server's advertised rate, {@code AckTracker} batches acknowledgements, and
 * {@code Connector} builds the Netty pipeline. {@code TopicSubscriptions} keeps the topic subscriptions and
 * each one's position {@code (epoch, offset)}: it subscribes again with {@code recover} after every
 * reconnect, drops publications already delivered, and re-syncs a topic (unsubscribe, subscribe with
 * {@code recover}) when a publication shows a gap, so {@code ClientListener.onPublication} sees each
 * publication once and in order, and {@code onRecoveryFailed} reports what the server could not replay.
 * {@code FileUploads} runs the file uploads: one chunk at a time per upload, each paced like a send, and
 * after a reconnect it asks the server for the upload's offset and goes on from there.
 */
package dev.switchboard.client;
