package dev.switchboard.server.testing;

import dev.switchboard.client.ClientListener;
import dev.switchboard.client.ConnectionState;
import dev.switchboard.client.InboxMessage;
import dev.switchboard.client.SendReceipt;
import dev.switchboard.client.Target;
import dev.switchboard.protocol.TargetKind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

/**
 * R5's promise checked end to end, as the application sees it: every message acknowledged to its sender
 * ({@link SendReceipt}) reached every device that should have it — every device of the target user, or
 * of every group member, and every device of the sender (the sending one included: its own inbox holds
 * the message too) — exactly once through {@link ClientListener#onMessage}, and in per-conversation
 * order: for each stream (one sender device, one conversation) the receipts' order is the send order and
 * every device's delivery order is the receipts' order.
 *
 * <p>Use: {@link #observe} gives the listener for one device (pass it to {@link TestClient#create}),
 * {@link #attach} the client once it exists (for its SDK stats), {@link #group} the group members,
 * {@link #sending}/{@link #onReply} around every send. Then {@link #result} at any time; the numbers only
 * become final once the stream has stopped and {@link #isComplete()} holds. Thread-safe: callbacks arrive
 * on every client's event loop while the test thread reads.
 */
public final class DeliveryChecker {
    private final Map<String, DeviceLog> devices = new ConcurrentHashMap<>();
    private final Map<String, Set<String>> groups = new ConcurrentHashMap<>();
    private final Map<String, Sent> sends = new ConcurrentHashMap<>();
    private final AtomicLong sendCount = new AtomicLong();

    /** One send: its stream ({@code sender/device→kind:id}), its place in that stream, and what came back. */
    private static final class Sent {
        final String stream;
        final long index;
        final String senderUser;
        final Target target;
        volatile SendReceipt receipt;
        volatile Throwable failure;

        Sent(String stream, long index, String senderUser, Target target) {
            this.stream = stream;
            this.index = index;
            this.senderUser = senderUser;
            this.target = target;
        }
    }

    /** What one device's application saw. */
    private static final class DeviceLog implements ClientListener {
        final String user;
        final String key;
        final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        final List<String> order = new ArrayList<>();
        final List<Long> reconnectNanos = new CopyOnWriteArrayList<>();
        final Map<Integer, AtomicInteger> closeCodes = new ConcurrentHashMap<>();
        final AtomicInteger seqRegressions = new AtomicInteger();
        final AtomicInteger truncations = new AtomicInteger();
        final AtomicInteger foreign = new AtomicInteger();
        volatile long disconnectedAt;
        volatile TestClient client;
        long lastSeq;
        private final Map<String, Sent> sends;

        DeviceLog(String user, String device, Map<String, Sent> sends) {
            this.user = user;
            this.key = user + "/" + device;
            this.sends = sends;
        }

        @Override
        public void onMessage(InboxMessage message) {
            if (message.seq() <= lastSeq) {
                seqRegressions.incrementAndGet();
            }
            lastSeq = message.seq();
            if (!sends.containsKey(message.clientId())) {
                foreign.incrementAndGet();
                return;
            }
            counts.computeIfAbsent(message.clientId(), ignored -> new AtomicInteger()).incrementAndGet();
            synchronized (order) {
                order.add(message.clientId());
            }
        }

        @Override
        public void onStateChanged(ConnectionState state, ConnectionState previous) {
            long now = System.nanoTime();
            if (previous == ConnectionState.CONNECTED && state != ConnectionState.CONNECTED) {
                disconnectedAt = now;
            } else if (state == ConnectionState.CONNECTED && disconnectedAt != 0) {
                reconnectNanos.add(now - disconnectedAt);
                disconnectedAt = 0;
            }
        }

        @Override
        public void onClosed(int code, String reason) {
            closeCodes.computeIfAbsent(code, ignored -> new AtomicInteger()).incrementAndGet();
        }

        @Override
        public void onTruncated(long afterSeq, long nextSeq) {
            truncations.incrementAndGet();
        }

        List<String> orderSnapshot() {
            synchronized (order) {
                return List.copyOf(order);
            }
        }
    }

    /**
     * The figures for one run. {@code lost} counts (message, device) pairs: an acknowledged message that
     * one expected device never saw. Durations are reconnect times: from a client leaving CONNECTED to its
     * next CONNECTED.
     */
    public record Result(String scenario, Duration streamed, long sent, long acknowledged, long failedSends,
                         long unsettledSends, long sendsResent, long expectedDeliveries, long delivered,
                         long duplicatesSuppressed,
                         long duplicatesDelivered, long lost, long lostMessages, long orderViolations,
                         long receiptOrderViolations, long unexpectedDeliveries, long truncations, int reconnects,
                         int stillDisconnected, Duration reconnectMax, Duration reconnectMedian,
                         Map<Integer, Integer> closeCodes, List<String> lostSamples) {

        public Result withScenario(String name, Duration streamedFor) {
            return new Result(name, streamedFor, sent, acknowledged, failedSends, unsettledSends, sendsResent, expectedDeliveries,
                    delivered, duplicatesSuppressed, duplicatesDelivered, lost, lostMessages, orderViolations,
                    receiptOrderViolations, unexpectedDeliveries, truncations, reconnects, stillDisconnected,
                    reconnectMax, reconnectMedian, closeCodes, lostSamples);
        }

        public static String markdownHeader() {
            return "| scenario | stream | sent | acknowledged | resent (SDK) | expected deliveries | delivered "
                    + "| duplicates suppressed (SDK) | duplicates to app | lost | order violations | reconnects | reconnect max "
                    + "| reconnect median | close codes |\n"
                    + "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|";
        }

        public String markdownRow() {
            String codes = closeCodes.entrySet().stream().map(entry -> entry.getKey() + "×" + entry.getValue())
                    .collect(Collectors.joining(", "));
            return "| " + scenario + " | " + seconds(streamed) + " | " + sent + " | " + acknowledged + " | "
                    + sendsResent + " | " + expectedDeliveries + " | " + delivered + " | " + duplicatesSuppressed + " | " + duplicatesDelivered
                    + " | " + lost + " | " + (orderViolations + receiptOrderViolations) + " | " + reconnects + " | "
                    + millis(reconnectMax) + " | " + millis(reconnectMedian) + " | " + (codes.isEmpty() ? "–" : codes) + " |";
        }

        private static String seconds(Duration duration) {
            return duration == null ? "–" : String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
        }

        private static String millis(Duration duration) {
            return duration == null ? "–" : duration.toMillis() + " ms";
        }
    }

    /** The listener for one device; registers it as a recipient of its user's messages. */
    public ClientListener observe(String user, String device) {
        DeviceLog log = new DeviceLog(user, device, sends);
        if (devices.putIfAbsent(log.key, log) != null) {
            throw new IllegalArgumentException("device observed twice: " + log.key);
        }
        return log;
    }

    /** The client of a device registered with {@link #observe}, for its SDK stats. */
    public void attach(String user, String device, TestClient client) {
        DeviceLog log = devices.get(user + "/" + device);
        if (log == null) {
            throw new IllegalArgumentException("not observed: " + user + "/" + device);
        }
        log.client = client;
    }

    /** The members of a group (including its creator), as messages to it should reach them. */
    public void group(String groupId, Collection<String> members) {
        groups.put(groupId, Set.copyOf(members));
    }

    /** Call before handing a send to the SDK. {@code clientId} must be unique in this checker. */
    public void sending(String senderUser, String senderDevice, Target target, String clientId, long index) {
        String stream = senderUser + "/" + senderDevice + "→" + target.kind().name().toLowerCase(Locale.ROOT) + ":" + target.id();
        if (sends.putIfAbsent(clientId, new Sent(stream, index, senderUser, target)) != null) {
            throw new IllegalArgumentException("client id used twice: " + clientId);
        }
        sendCount.incrementAndGet();
    }

    /** The outcome of a send's future. */
    public void onReply(String clientId, SendReceipt receipt, Throwable failure) {
        Sent sent = sends.get(clientId);
        if (failure != null) {
            sent.failure = failure;
        } else {
            sent.receipt = receipt;
        }
    }

    /** Every send has its receipt or its failure. */
    public boolean allSendsSettled() {
        return sends.values().stream().allMatch(sent -> sent.receipt != null || sent.failure != null);
    }

    public long acknowledged() {
        return sends.values().stream().filter(sent -> sent.receipt != null).count();
    }

    /** Every send settled, every acknowledged message at every expected device, every client connected. */
    public boolean isComplete() {
        Result result = result();
        return result.unsettledSends() == 0 && result.lost() == 0 && result.stillDisconnected() == 0;
    }

    /** The figures now (scenario name and stream duration left empty; see {@link Result#withScenario}). */
    public Result result() {
        Map<String, Set<String>> devicesOfUser = new HashMap<>();
        devices.values().forEach(log -> devicesOfUser.computeIfAbsent(log.user, ignored -> new LinkedHashSet<>()).add(log.key));

        long acknowledged = 0;
        long failed = 0;
        long unsettled = 0;
        long expected = 0;
        long lost = 0;
        long lostMessages = 0;
        long unexpected = 0;
        List<String> lostSamples = new ArrayList<>();
        Map<String, Set<String>> expectedByMessage = new HashMap<>();
        for (Map.Entry<String, Sent> entry : sends.entrySet()) {
            Sent sent = entry.getValue();
            Set<String> recipients = expectedDevices(sent, devicesOfUser);
            expectedByMessage.put(entry.getKey(), recipients);
            if (sent.receipt == null) {
                if (sent.failure != null) {
                    failed++;
                } else {
                    unsettled++;
                }
                continue;
            }
            acknowledged++;
            expected += recipients.size();
            List<String> missing = recipients.stream()
                    .filter(device -> !devices.get(device).counts.containsKey(entry.getKey())).toList();
            lost += missing.size();
            if (!missing.isEmpty()) {
                lostMessages++;
                if (lostSamples.size() < 10) {
                    lostSamples.add(entry.getKey() + " (" + sent.stream + ", message " + sent.receipt.messageId()
                            + ") missing at " + missing);
                }
            }
        }

        long delivered = 0;
        long duplicatesDelivered = 0;
        long orderViolations = 0;
        long duplicatesSuppressed = 0;
        long resent = 0;
        long truncations = 0;
        List<Long> reconnects = new ArrayList<>();
        int stillDisconnected = 0;
        Map<Integer, Integer> closeCodes = new TreeMap<>();
        for (DeviceLog log : devices.values()) {
            for (Map.Entry<String, AtomicInteger> count : log.counts.entrySet()) {
                delivered += count.getValue().get();
                duplicatesDelivered += count.getValue().get() - 1;
                if (!expectedByMessage.getOrDefault(count.getKey(), Set.of()).contains(log.key)) {
                    unexpected++;
                }
            }
            orderViolations += log.seqRegressions.get() + deliveryOrderViolations(log);
            truncations += log.truncations.get();
            if (log.client != null) {
                duplicatesSuppressed += log.client.sdk().stats().duplicatesSuppressed();
                resent += log.client.sdk().stats().sendsResent();
                if (log.client.sdk().state() != ConnectionState.CONNECTED) {
                    stillDisconnected++;
                }
            }
            reconnects.addAll(log.reconnectNanos);
            log.closeCodes.forEach((code, times) -> closeCodes.merge(code, times.get(), Integer::sum));
        }
        reconnects.sort(Comparator.naturalOrder());
        Duration max = reconnects.isEmpty() ? null : Duration.ofNanos(reconnects.get(reconnects.size() - 1));
        Duration median = reconnects.isEmpty() ? null : Duration.ofNanos(reconnects.get(reconnects.size() / 2));
        return new Result("", null, sendCount.get(), acknowledged, failed, unsettled, resent, expected, delivered,
                duplicatesSuppressed, duplicatesDelivered, lost, lostMessages, orderViolations, receiptOrderViolations(),
                unexpected, truncations, reconnects.size(), stillDisconnected, max, median, closeCodes, lostSamples);
    }

    private Set<String> expectedDevices(Sent sent, Map<String, Set<String>> devicesOfUser) {
        Set<String> users = new LinkedHashSet<>();
        users.add(sent.senderUser);
        if (sent.target.kind() == TargetKind.GROUP) {
            users.addAll(groups.getOrDefault(sent.target.id(), Set.of()));
        } else {
            users.add(sent.target.id());
        }
        Set<String> result = new LinkedHashSet<>();
        users.forEach(user -> result.addAll(devicesOfUser.getOrDefault(user, Set.of())));
        return result;
    }

    /** Within each stream, a device must see messages in increasing send order (repeats are counted as duplicates). */
    private long deliveryOrderViolations(DeviceLog log) {
        Map<String, Long> lastIndex = new HashMap<>();
        Set<String> seen = new HashSet<>();
        long violations = 0;
        for (String clientId : log.orderSnapshot()) {
            if (!seen.add(clientId)) {
                continue;
            }
            Sent sent = sends.get(clientId);
            Long previous = lastIndex.put(sent.stream, sent.index);
            if (previous != null && sent.index < previous) {
                violations++;
            }
        }
        return violations;
    }

    /** Within each stream, server message ids (receipt order) must increase with the send order. */
    private long receiptOrderViolations() {
        Map<String, List<Sent>> byStream = new LinkedHashMap<>();
        sends.values().stream().filter(sent -> sent.receipt != null)
                .forEach(sent -> byStream.computeIfAbsent(sent.stream, ignored -> new ArrayList<>()).add(sent));
        long violations = 0;
        for (List<Sent> stream : byStream.values()) {
            stream.sort(Comparator.comparingLong(sent -> sent.index));
            for (int i = 1; i < stream.size(); i++) {
                if (stream.get(i).receipt.messageId() <= stream.get(i - 1).receipt.messageId()) {
                    violations++;
                }
            }
        }
        return violations;
    }
}
