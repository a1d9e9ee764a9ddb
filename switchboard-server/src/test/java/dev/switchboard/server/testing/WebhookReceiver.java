package dev.switchboard.server.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP endpoint on 127.0.0.1 that plays the application's backend for webhook tests: it records
 * every request (headers and body) and answers with the statuses it is told to, then 200. It can also
 * hold requests unanswered until released, to play a backend that hangs.
 */
public final class WebhookReceiver implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One request as received. */
    public record Request(Map<String, List<String>> headers, byte[] body) {
        public String header(String name) {
            return headers.entrySet().stream().filter(entry -> entry.getKey().equalsIgnoreCase(name))
                    .map(entry -> entry.getValue().get(0)).findFirst().orElse(null);
        }

        public JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private final HttpServer server;
    private final ExecutorService executor = Executors.newFixedThreadPool(4);
    private final List<Request> requests = new CopyOnWriteArrayList<>();
    private final ConcurrentLinkedQueue<Answer> nextAnswers = new ConcurrentLinkedQueue<>();
    private volatile CountDownLatch hold = new CountDownLatch(0);

    private WebhookReceiver() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.createContext("/hooks", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    public static WebhookReceiver start() throws IOException {
        return new WebhookReceiver();
    }

    /** The URL to configure as {@code webhooks.url}. */
    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks";
    }

    /** A status and, when not null, a {@code Retry-After} in seconds. */
    private record Answer(int status, Integer retryAfterSeconds) {
    }

    /** The next requests are answered with these statuses, in order (429 and 503 with {@code Retry-After: 0}); then 200 again. */
    public void answerNext(Integer... statuses) {
        for (int status : statuses) {
            nextAnswers.add(new Answer(status, status == 429 || status == 503 ? 0 : null));
        }
    }

    /** The next request is answered with {@code status} and {@code Retry-After: retryAfterSeconds}. */
    public void answerNextWithRetryAfter(int status, int retryAfterSeconds) {
        nextAnswers.add(new Answer(status, retryAfterSeconds));
    }

    /** From now on, requests are recorded but not answered until {@link #release()} (or the receiver closes). */
    public void holdAnswers() {
        hold = new CountDownLatch(1);
    }

    public void release() {
        hold.countDown();
    }

    public List<Request> requests() {
        return List.copyOf(requests);
    }

    /** Every event of every request, in the order received. */
    public List<JsonNode> events() {
        List<JsonNode> events = new ArrayList<>();
        for (Request request : requests) {
            request.json().get("events").forEach(events::add);
        }
        return events;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange; InputStream in = exchange.getRequestBody()) {
            requests.add(new Request(Map.copyOf(exchange.getRequestHeaders()), in.readAllBytes()));
            try {
                hold.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
            Answer answer = nextAnswers.poll();
            if (answer == null) {
                answer = new Answer(200, null);
            }
            if (answer.retryAfterSeconds() != null) {
                exchange.getResponseHeaders().add("Retry-After", answer.retryAfterSeconds().toString());
            }
            exchange.sendResponseHeaders(answer.status(), -1);
        }
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        executor.shutdownNow();
    }
}
