package devana.jobs;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/** A real HTTP event sink on loopback (a team's webhook bus) that can be switched down (503) and up. */
final class EventSink implements AutoCloseable {

    record Received(Map<String, Object> event, Map<String, List<String>> headers) {
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicBoolean up = new AtomicBoolean(true);
    private final AtomicInteger refused = new AtomicInteger();

    EventSink() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/events", exchange -> {
            try (InputStream in = exchange.getRequestBody()) {
                String body = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                if (up.get()) {
                    received.add(new Received(Json.read(body), Map.copyOf(exchange.getRequestHeaders())));
                    exchange.sendResponseHeaders(204, -1);
                } else {
                    refused.incrementAndGet();
                    exchange.sendResponseHeaders(503, -1);
                }
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    String uri() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/events";
    }

    void down() {
        up.set(false);
    }

    void up() {
        up.set(true);
    }

    int refused() {
        return refused.get();
    }

    List<Received> received() {
        return new ArrayList<>(received);
    }

    List<String> ids() {
        return received().stream().map(r -> (String) r.event().get("id")).toList();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
