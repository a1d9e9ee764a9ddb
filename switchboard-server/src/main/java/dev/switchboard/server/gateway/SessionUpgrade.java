package dev.switchboard.server.gateway;

import dev.switchboard.server.auth.Principal;
import dev.switchboard.server.store.DeviceState;
import dev.switchboard.server.store.StoreBusyException;
import io.netty.channel.ChannelHandlerContext;
import java.util.concurrent.CompletionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A chat connection between its admission and its 101. The device's state (its cursor and the user's
 * newest seq, which the {@code welcome} carries) is read on a store thread, or is answered from memory
 * at once (the embedded store, a device it has seen); then, on the event loop, the
 * connection is upgraded with a {@link WebSocketSessionHandler} in the request handler's place, or
 * refused in plain HTTP: the store could not answer (503), or the user was banned or the node began to
 * drain during the read (403, 503). If the connection ends first, the upgrade is abandoned. Event loop
 * only, but for the read itself.
 */
final class SessionUpgrade {
    private static final Logger log = LoggerFactory.getLogger(SessionUpgrade.class);

    private final GatewayServices services;
    private final HttpRequestHandler requestHandler;
    private final ChannelHandlerContext context;
    private final Principal principal;
    private final WebSocketUpgrade upgrade;
    /** Upgraded, refused or abandoned: nothing is left to do. */
    private boolean settled;

    /** @param context the request handler's context */
    SessionUpgrade(GatewayServices services, HttpRequestHandler requestHandler, ChannelHandlerContext context,
                   Principal principal, WebSocketUpgrade upgrade) {
        this.services = services;
        this.requestHandler = requestHandler;
        this.context = context;
        this.principal = principal;
        this.upgrade = upgrade;
    }

    /**
     * Starts the read; what it gives is handled in a task on the channel's event loop, even when the
     * store answers at once: bytes read in the same burst as the upgrade request (a request pipelined
     * behind it) must be seen before any 101 is written.
     */
    void start() {
        services.store().deviceState(principal.userId(), principal.deviceId())
                .whenCompleteAsync(this::deviceStateRead, context.channel().eventLoop());
    }

    /** The connection ended, or broke the protocol, before the read answered: the prepared 101 is released. */
    void abandon() {
        if (!settled) {
            settled = true;
            upgrade.abandon();
        }
    }

    private void deviceStateRead(DeviceState state, Throwable error) {
        if (settled || !context.channel().isActive()) {
            abandon();
            services.metrics().handshake("abandoned");
            return;
        }
        settled = true;
        try {
            if (error != null) {
                upgrade.abandon();
                refuseForStore(error);
                return;
            }
            if (requestHandler.refusedAsBanned(context, principal.userId()) || requestHandler.refusedAsDraining(context)) {
                upgrade.abandon(); // banned or draining since the admission
                return;
            }
            requestHandler.upgradeTo(context, upgrade, "session", new WebSocketSessionHandler(services, principal, state));
        } catch (RuntimeException e) {
            upgrade.abandon(); // nothing, once the 101 is written
            context.pipeline().fireExceptionCaught(e); // to the request handler, or to the endpoint once it is in place
        }
    }

    /** 503: the store's read queue is full (busy), or the read failed. */
    private void refuseForStore(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof StoreBusyException) {
            services.metrics().handshake("store_busy");
            HttpResponses.sendError(context, 503, "unavailable", "store busy");
            return;
        }
        log.atWarn().setMessage("cannot load device state, refusing the handshake").addKeyValue("userId", principal.userId())
                .setCause(cause).log();
        services.metrics().handshake("store_unavailable");
        HttpResponses.sendError(context, 503, "unavailable", "store unavailable");
    }
}
