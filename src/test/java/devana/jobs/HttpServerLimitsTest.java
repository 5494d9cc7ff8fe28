package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * What a stranger can make the HTTP server hold, with raw sockets as an attacker would open them: a
 * declared body over 64 KiB is refused before it is read, a slow or idle connection is closed, too many
 * webhook requests at once get 503, and an /api/jobs answer over large jobs stays small and says so.
 */
class HttpServerLimitsTest extends AppOnEmulatorTest {

    private static final String SECRET = "whsec-limits-test-5e0a44";

    @Test
    void refuses_a_declared_body_over_64_KiB_at_once_without_reading_it() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET));
        try (Socket socket = connect()) {
            send(socket, "POST /webhook/job-status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 1048576\r\n\r\n{\"jobId\":");

            String answer = readUntilClosed(socket, Duration.ofSeconds(5));

            assertThat(answer).startsWith("HTTP/1.1 413").contains("at most 65536");
        }
        assertThat(app.counter("devana.webhooks", "outcome", "too_large")).isEqualTo(1);
    }

    @Test
    void closes_a_connection_whose_request_does_not_arrive_in_time() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET, "jobs.http.request-timeout", "1000"));
        try (Socket socket = connect()) {
            send(socket, "POST /webhook/job-status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: 100\r\n\r\n{\"jobId\":");
            long start = System.nanoTime();

            String answer = readUntilClosed(socket, Duration.ofSeconds(8));

            assertThat(answer).as("nothing answered: the connection is closed").isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(5));
        }
        assertThat(app.counter("devana.webhooks", "outcome", "timeout")).isEqualTo(1);
        assertThat(Http.get(app.url("/observe/health/live")).statusCode()).isEqualTo(200);
    }

    @Test
    void closes_a_connection_that_stays_idle() throws Exception {
        startApp(Map.of("jobs.http.idle-timeout", "1000"));
        try (Socket socket = connect()) {
            long start = System.nanoTime();

            String answer = readUntilClosed(socket, Duration.ofSeconds(8));

            assertThat(answer).isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isBetween(Duration.ofMillis(800), Duration.ofSeconds(5));
        }
    }

    @Test
    void closes_connections_beyond_the_most_allowed_at_once() throws Exception {
        startApp(Map.of("jobs.http.max-connections", "3"));
        List<Socket> open = new ArrayList<>();
        try {
            for (int i = 0; i < 3; i++) {
                open.add(connect());
                send(open.get(i), "GET /observe/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readResponse(open.get(i))).startsWith("HTTP/1.1 200");
            }
            try (Socket oneTooMany = connect()) {
                send(oneTooMany, "GET /observe/health/live HTTP/1.1\r\nHost: x\r\n\r\n");
                assertThat(readUntilClosed(oneTooMany, Duration.ofSeconds(5))).isEmpty();
            }
        } finally {
            for (Socket socket : open) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.get(app.url("/observe/health/live")).statusCode() == 200);
        assertThat(app.counter("devana.http.refused", "reason", "connections")).isGreaterThanOrEqualTo(1);
    }

    @Test
    void answers_503_to_webhook_requests_beyond_the_bound_and_takes_them_again_once_it_is_free() throws Exception {
        startApp(Map.of("devana.webhook.secret", SECRET, "jobs.http.webhook-concurrency", "2"));
        byte[] body = ("{\"jobId\":\"cm4jobBusy\",\"status\":\"DONE\",\"targetId\":\"cm4docB\",\"type\":\"EXTRACTION\",\"metadata\":{}}")
                .getBytes(StandardCharsets.UTF_8);
        Map<String, String> headers = Map.of("Content-Type", "application/json", "X-Devana-Signature", Signed.devana(SECRET, body));
        List<Socket> slow = new ArrayList<>();
        try {
            for (int i = 0; i < 2; i++) {
                Socket socket = connect();
                slow.add(socket);
                send(socket, "POST /webhook/job-status HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                        + "Content-Length: 100\r\n\r\n{");
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> Http.post(app.url("/webhook/job-status"), body, headers).statusCode() == 503);
            HttpResponse<String> busy = Http.post(app.url("/webhook/job-status"), body, headers);
            assertThat(busy.statusCode()).isEqualTo(503);
            assertThat(busy.headers().firstValue("Retry-After")).hasValue("1");
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(5)).until(() -> Http.post(app.url("/webhook/job-status"), body, headers).statusCode() == 202);
        assertThat(app.counter("devana.webhooks", "outcome", "busy")).isGreaterThanOrEqualTo(2);
    }

    @Test
    void lets_requests_beyond_the_view_bound_wait_their_turn_as_a_browser_sends_five_at_once() throws Exception {
        startApp(Map.of("jobs.http.view-concurrency", "1"));
        java.net.http.HttpClient client = java.net.http.HttpClient.newHttpClient();
        List<java.util.concurrent.CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
        for (String path : List.of("/api/stats", "/api/jobs?status=IN_PROGRESS&limit=20", "/api/jobs?status=PENDING&limit=10",
                "/api/jobs?status=ERROR&limit=8", "/api/jobs?status=DONE&limit=8", "/")) {
            answers.add(client.sendAsync(java.net.http.HttpRequest.newBuilder(java.net.URI.create(app.url(path))).build(),
                    HttpResponse.BodyHandlers.ofString()));
        }

        for (var answer : answers) {
            assertThat(answer.get(20, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        }
        assertThat(app.counter("devana.http.refused", "reason", "busy")).isZero();
    }

    @Test
    void keeps_an_answer_over_large_jobs_small_and_says_what_it_cut() throws Exception {
        String small = emulator.job().type("EXTRACTION").status("DONE").progress(100).metadata(Map.of("fileName", "a.pdf")).add();
        String longField = emulator.job().type("EXTRACTION").status("DONE").progress(100)
                .metadata(Map.of("fileName", "b.pdf", "summary", "s".repeat(3000))).add();
        List<String> large = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            large.add(emulator.job().type("EMBEDDING").status("DONE").progress(100)
                    .metadata(Map.of("folderName", "f" + i, "chunks", "c".repeat(60_000))).add());
        }
        startApp();
        await().atMost(Duration.ofSeconds(20)).until(() -> app.count("SELECT COUNT(*) FROM job_state") == 12);

        HttpResponse<String> answer = Http.get(app.url("/api/jobs?limit=100"));

        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.body().length()).as("answer size").isLessThan(60_000);
        Map<String, Object> page = Json.read(answer.body());
        assertThat(page).containsEntry("truncated", true);
        List<Map<String, Object>> jobs = (List<Map<String, Object>>) page.get("data");
        assertThat(jobs).hasSize(12);
        for (Map<String, Object> job : jobs) {
            Map<String, Object> tracking = (Map<String, Object>) job.get("tracking");
            if (job.get("id").equals(small)) {
                assertThat(tracking).doesNotContainKey("truncated");
                assertThat((Map<String, Object>) job.get("metadata")).containsEntry("fileName", "a.pdf");
            } else if (job.get("id").equals(longField)) {
                assertThat(tracking).containsKey("truncated");
                assertThat((String) ((Map<String, Object>) job.get("metadata")).get("summary")).hasSizeLessThan(1100).contains("3000 chars");
            } else {
                assertThat(large).contains((String) job.get("id"));
                assertThat(job).containsEntry("status", "DONE").containsEntry("type", "EMBEDDING").doesNotContainKey("metadata");
                assertThat((Map<String, Object>) tracking.get("truncated")).hasEntrySatisfying("jsonChars",
                        chars -> assertThat(((Number) chars).longValue()).isGreaterThan(60_000));
            }
        }
    }

    private Socket connect() throws IOException {
        String port = app.context().getPropertiesComponent().resolveProperty("camel.server.port").orElseThrow();
        Socket socket = new Socket("127.0.0.1", Integer.parseInt(port));
        socket.setSoTimeout(10_000);
        return socket;
    }

    private static void send(Socket socket, String text) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write(text.getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
    }

    /** Everything the server sends until it closes the connection, within the time given. */
    private static String readUntilClosed(Socket socket, Duration within) throws IOException {
        socket.setSoTimeout((int) within.toMillis());
        InputStream in = socket.getInputStream();
        StringBuilder text = new StringBuilder();
        byte[] buffer = new byte[8192];
        try {
            for (int n; (n = in.read(buffer)) >= 0; ) {
                text.append(new String(buffer, 0, n, StandardCharsets.ISO_8859_1));
            }
        } catch (SocketException reset) {
            // closed while our request was still being sent: what the server wrote before is kept
        } catch (SocketTimeoutException stillOpen) {
            throw new AssertionError("the server kept the connection open for " + within.toMillis() + " ms; it sent: " + text);
        }
        return text.toString();
    }

    /** One response of a kept-alive connection: its head and as much of the body as has arrived. */
    private static String readResponse(Socket socket) throws IOException {
        InputStream in = socket.getInputStream();
        byte[] buffer = new byte[8192];
        int n = in.read(buffer);
        return n < 0 ? "" : new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
    }
}
