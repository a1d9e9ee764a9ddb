package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.chat.InboxStream;
import dev.switchboard.server.chat.OutboundMessages;
import dev.switchboard.server.chat.Session;
import dev.switchboard.server.config.ServerConfig;
import dev.switchboard.server.registry.Connection;
import dev.switchboard.server.store.Ban;
import dev.switchboard.server.store.DeviceState;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat session on {@code /ws} after the upgrade: registers the connection, sends {@code welcome}
 * (in the 101's write: the device state it carries was read before the upgrade), hands every text
 * message to the {@link dev.switchboard.server.chat.CommandDispatcher}, and unregisters the connection
 * however it ends — this {@code channelInactive} is the single exit for client close, TCP reset,
 * heartbeat timeout, kick and shutdown alike.
 */
final class WebSocketSessionHandler extends WebSocketEndpointHandler {
    private static final Logger log = LoggerFactory.getLogger(WebSocketSessionHandler.class);

    private final GatewayServices services;
    /** Who authenticated at the handshake, and the device's state read before it; dropped once the session starts. */
    private Principal principal;
    private DeviceState deviceState;
    private Connection connection;
    private Session session;

    WebSocketSessionHandler(GatewayServices services, Principal principal, DeviceState deviceState) {
        super(services.keepAlive(), services.config().limits().maxMessageBytes());
        this.services = services;
        this.principal = principal;
        this.deviceState = deviceState;
    }

    /**
     * Registers the connection before its {@code welcome} is written, so a client that has the
     * {@code welcome} is reachable; a ban or a drain that began during the handshake is caught here.
     */
    @Override
    protected void onUpgraded(ChannelHandlerContext ctx) {
        Connection opened = new Connection(services.registry().connectionIds(), principal, ctx.channel(), services.metrics(),
                hasExtensions());
        DeviceState state = deviceState;
        principal = null;
        deviceState = null;
        ServerConfig config = services.config();
        opened.attachInbox(new InboxStream(opened, services.store(), config.store().replayBatch(), state.cursor(),
                state.lastSeq()));
        connection = opened;
        session = new Session(opened, services.sessionPolicy());
        Connection replaced = services.registry().register(opened);
        // Every registered connection is reported, one banned or drained in the meantime too (its disconnect
        // follows at once with 4004 or 1012): a backend sees a connect and then exactly one disconnect.
        services.webhooks().connected(opened.connectionId(), opened.userId(), opened.deviceId());
        if (replaced != null) {
            replaced.kick("replaced by a new connection of the same device");
        }
        Ban ban = services.moderation().activeBan(opened.userId());
        if (ban != null) {
            opened.ban(ban.reason()); // banned while this handshake was under way: no welcome, no presence
            return;
        }
        if (config.auth().singleSession()) {
            services.moderation().kickOthers(opened, "signed in on another device");
        }
        services.cluster().routes().userConnected(opened.userId());
        if (services.registry().connectionsOf(opened.userId()).size() == 1) {
            services.presenceNotifier().firstConnectionOpened(opened.userId());
        }
        opened.write(OutboundMessages.welcome(opened.connectionId(), opened.userId(), opened.deviceId(), state.cursor(),
                state.lastSeq(), config.heartbeat().pingIntervalMillis(), config.heartbeat().pingTimeoutMillis(),
                config.limits().maxMessageBytes(), config.limits().maxBodyBytes(),
                config.limits().advertisedSendsPerSecond(), config.limits().advertisedSendBurst(), config.reconnect()));
        // DEBUG, not INFO: at thousands of handshakes a second, a line per connection costs CPU the
        // handshakes need; connections and handshakes are counted in the metrics instead.
        log.atDebug().setMessage("connection opened").addKeyValue("connectionId", opened.connectionId())
                .addKeyValue("userId", opened.userId()).addKeyValue("deviceId", opened.deviceId())
                .addKeyValue("remote", String.valueOf(ctx.channel().remoteAddress())).log();
        if (services.admission().isDraining()) {
            opened.close(CloseCodes.SERVICE_RESTART, "service restart"); // registered after the drain began
        }
    }

    /** A token with an expiry ends the connection when it expires (4001), checked by the keep-alive sweep. */
    @Override
    protected void onKeepAliveSweep(long wallClockMillis) {
        if (connection != null) {
            long expiresAt = connection.principal().expiresAtMillis();
            if (expiresAt > 0 && wallClockMillis >= expiresAt) {
                connection.close(CloseCodes.TOKEN_EXPIRED, "token expired");
            }
        }
    }

    @Override
    protected void onText(ChannelHandlerContext ctx, ByteBuf utf8) {
        if (connection.isOpen()) { // closing: whatever the client still sends is dropped
            services.dispatcher().handle(session, utf8);
        }
    }

    @Override
    protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
        if (connection.isOpen()) { // closing: whatever the client still sends is dropped
            services.dispatcher().handleBinary(session, content);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        if (session != null) {
            services.dispatcher().topics().connectionClosed(connection);
            // Whether or not a newer connection of the device has taken its place in the registry.
            services.webhooks().disconnected(connection.connectionId(), connection.userId(), connection.deviceId(),
                    closeCode(), closedBy());
        }
        if (session != null && services.registry().unregister(connection)) {
            services.cluster().routes().userDisconnected(connection.userId());
            if (services.registry().connectionsOf(connection.userId()).isEmpty()) {
                services.presenceNotifier().lastConnectionClosed(connection.userId());
            }
            log.atDebug().setMessage("connection closed").addKeyValue("connectionId", connection.connectionId())
                    .addKeyValue("userId", connection.userId()).addKeyValue("deviceId", connection.deviceId()).log();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        WebSocketErrors.handle(ctx, cause, log, connection == null ? null : connection.connectionId());
    }
}
