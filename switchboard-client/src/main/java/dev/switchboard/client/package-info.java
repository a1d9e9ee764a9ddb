/**
 * Java SDK of the Switchboard wire protocol (docs/PROTOCOL.md). Start with
 * {@link dev.switchboard.client.SwitchboardClient} and {@link dev.switchboard.client.ClientConfig}; receive
 * messages through {@link dev.switchboard.client.ClientListener}.
 *
 * <p>Inside, one event loop thread owns all state of a client: {@code ClientEngine} runs the connection
 * life cycle, {@code InboxSequencer} turns replayed and live inbox entries into an exactly-once, in-order
 * stream, {@code PendingSends} keeps unconfirmed sends for resending, {@code SendPacer} lets them out in
 * order at the server's advertised rate, {@code AckTracker} batches acknowledgements, and
 * {@code Connector} builds the Netty pipeline.
 */
package dev.switchboard.client;
