package dev.switchboard.server.gateway;

import dev.switchboard.protocol.CloseCodes;
import dev.switchboard.protocol.ErrorCode;
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
import java.nio.charset.StandardCharsets;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The chat session on {@code /ws} after the upgrade: registers the connection, sends
 * {@code welcome} (messages that arrive before it is out wait for it, so no request overtakes it),
 * hands every text message to the {@link dev.switchboard.server.chat.CommandDispatcher}, and
 * unregisters the connection however it ends — this {@code channelInactive} is the single exit for
 * client close, TCP reset, heartbeat timeout, kick and shutdown alike.
 *
 * @implNote Messages that arrive while the device state is read are held ({@link EarlyMessages}; too
 * many close the connection with 4000) rather than reading being paused: pausing and
 * resuming cost two {@code epoll_ctl} calls per handshake, about 5% of the event loop's time at 10,000
 * handshakes a second (async-profiler, bench/analysis.md), for a window a client rarely sends in.
 */
final class WebSocketSessionHandler extends WebSocketEndpointHandler {
    private static final Logger log = LoggerFactory.getLogger(WebSocketSessionHandler.class);

    private final GatewayServices services;
    /** Who authenticated at the handshake; dropped once the connection holds it. */
    private Principal principal;
    private Connection connection;
    private Session session;
    /** Messages received before {@link #start}, else null. */
    private EarlyMessages early;

    WebSocketSessionHandler(GatewayServices services, Principal principal) {
        super(services.keepAlive(), services.config().limits().maxMessageBytes());
        this.services = services;
        this.principal = principal;
    }

    @Override
    protected void onUpgraded(ChannelHandlerContext ctx) {
        Principal principal = this.principal;
        this.principal = null;
        Connection opened = new Connection(services.registry().connectionIds(), principal, ctx.channel(), services.metrics());
        connection = opened; // no session yet: messages are held until start()
        services.store().deviceState(principal.userId(), principal.deviceId())
                .whenCompleteAsync((state, error) -> {
                    if (error != null) {
                        log.atWarn().setMessage("cannot load device state, closing").addKeyValue("userId", principal.userId())
                                .setCause(error).log();
                        opened.close(CloseCodes.INTERNAL_ERROR, "store unavailable");
                    } else if (ctx.channel().isActive()) {
                        start(ctx, opened, state);
                    }
                }, ctx.channel().eventLoop());
    }

    private void start(ChannelHandlerContext ctx, Connection opened, DeviceState state) {
        ServerConfig config = services.config();
        opened.attachInbox(new InboxStream(opened, services.store(), config.store().replayBatch(), state.cursor()));
        session = new Session(opened, services.sessionPolicy());
        Connection replaced = services.registry().register(opened);
        if (replaced != null) {
            replaced.kick("replaced by a new connection of the same device");
        }
        Ban ban = services.moderation().activeBan(opened.userId());
        if (ban != null) {
            opened.ban(ban.reason()); // banned while this handshake was under way: no welcome, no presence
            early = null;
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
                config.limits().sendsPerSecond(), config.limits().sendBurst()));
        // DEBUG, not INFO: at thousands of handshakes a second, a line per connection costs CPU the
        // handshakes need; connections and handshakes are counted in the metrics instead.
        log.atDebug().setMessage("connection opened").addKeyValue("connectionId", opened.connectionId())
                .addKeyValue("userId", opened.userId()).addKeyValue("deviceId", opened.deviceId())
                .addKeyValue("remote", String.valueOf(ctx.channel().remoteAddress())).log();
        handleEarly();
        if (services.admission().isDraining()) {
            opened.close(CloseCodes.SERVICE_RESTART, "service restart"); // registered after the drain began
        }
    }

    /** The messages that arrived before the welcome, in their order, now that the session exists. */
    private void handleEarly() {
        EarlyMessages held = early;
        early = null;
        if (held == null) {
            return;
        }
        for (String text : held.messages()) {
            if (!connection.isOpen()) {
                return;
            }
            if (text == null) {
                rejectBinary();
            } else {
                services.dispatcher().handle(session, text);
            }
        }
    }

    /** Holds a message that arrived before {@link #start} (null: a binary one); too many close the connection. */
    private void holdEarly(String text) {
        if (early == null) {
            early = new EarlyMessages();
        }
        if (!early.hold(text)) {
            early = null;
            close(CloseCodes.PROTOCOL_ABUSE, "too many messages before the welcome");
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
        if (session == null) {
            holdEarly(utf8.toString(StandardCharsets.UTF_8));
            return;
        }
        if (connection.isOpen()) { // closing: whatever the client still sends is dropped
            services.dispatcher().handle(session, utf8.toString(StandardCharsets.UTF_8));
        }
    }

    @Override
    protected void onBinary(ChannelHandlerContext ctx, ByteBuf content) {
        if (session == null) {
            holdEarly(null);
            return;
        }
        if (connection.isOpen()) {
            rejectBinary();
        }
    }

    private void rejectBinary() {
        session.reject(null, ErrorCode.UNSUPPORTED_FRAME, "binary messages are not supported; send JSON text");
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        early = null;
        if (session != null) {
            services.dispatcher().topics().connectionClosed(connection);
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
