package dev.switchboard.client;

/**
 * The server's confirmation ({@code sent}) that a message is durable.
 *
 * @param clientId  the client id the message was sent with
 * @param messageId the server message id ({@code sent.id})
 * @param timestamp server time of storage, milliseconds since the epoch ({@code sent.ts})
 * @param seq       the message's place in the sender's own inbox
 * @param duplicate true when this client id had been stored before; the other fields are then the original's
 */
public record SendReceipt(String clientId, long messageId, long timestamp, long seq, boolean duplicate) {
}
