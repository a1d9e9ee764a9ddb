package dev.switchboard.server.testing;

import dev.switchboard.client.Target;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A steady, paced stream of chat messages from several SDK clients, each send recorded in a
 * {@link DeliveryChecker}. One scheduler thread ticks every stream at its own rate; a send never blocks
 * (the SDK queues it while disconnected and resends it with the same client id after a reconnect).
 */
public final class ChatTraffic {
    private final DeliveryChecker checker;
    private final List<Stream> streams = new ArrayList<>();
    private final List<ScheduledFuture<?>> ticks = new ArrayList<>();
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "chat-traffic");
        thread.setDaemon(true);
        return thread;
    });

    private record Stream(int number, TestClient client, String user, String device, Target target, int perSecond,
                          AtomicLong next) {
    }

    public ChatTraffic(DeliveryChecker checker) {
        this.checker = checker;
    }

    /** Adds a stream: {@code client} (user/device) sends {@code perSecond} messages a second to {@code target}. */
    public ChatTraffic stream(TestClient client, String user, String device, Target target, int perSecond) {
        streams.add(new Stream(streams.size() + 1, client, user, device, target, perSecond, new AtomicLong()));
        return this;
    }

    /** Starts every stream (staggered within its first period). */
    public synchronized void start() {
        for (Stream stream : streams) {
            long periodMicros = 1_000_000L / stream.perSecond();
            long offsetMicros = periodMicros * stream.number() / (streams.size() + 1);
            ticks.add(scheduler.scheduleAtFixedRate(() -> sendOne(stream), offsetMicros, periodMicros, TimeUnit.MICROSECONDS));
        }
    }

    private void sendOne(Stream stream) {
        long index = stream.next().getAndIncrement();
        String clientId = "s" + stream.number() + "-" + index;
        checker.sending(stream.user(), stream.device(), stream.target(), clientId, index);
        stream.client().sdk().send(stream.target(), index, clientId)
                .whenComplete((receipt, error) -> checker.onReply(clientId, receipt, error));
    }

    /** Stops sending; sends already handed to the SDK go on until confirmed. */
    public synchronized void stop() throws InterruptedException {
        ticks.forEach(tick -> tick.cancel(false));
        scheduler.shutdown();
        scheduler.awaitTermination(5, TimeUnit.SECONDS);
    }
}
