package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import devana.emulator.DevanaEmulator;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped jar with traces on, configured as an operator does, by the standard OTEL_* variables only: its spans reach
 * an OTLP/HTTP receiver (here a bare HTTP server that keeps what it is sent), under the service name the variables give,
 * the job changes' spans with their attributes among them.
 */
class TracesExportIT {

    @TempDir
    Path dir;

    private DevanaEmulator emulator;
    private LaunchedApp app;
    private HttpServer collector;
    private final List<byte[]> exports = new CopyOnWriteArrayList<>();

    @AfterEach
    void stop() throws Exception {
        if (app != null) {
            app.close();
        }
        if (emulator != null) {
            emulator.close();
        }
        if (collector != null) {
            collector.stop(0);
        }
    }

    @Test
    void exports_the_job_changes_spans_by_otlp_where_the_otel_variables_say() throws Exception {
        collector = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        collector.createContext("/v1/traces", exchange -> {
            try (InputStream body = exchange.getRequestBody()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                body.transferTo(bytes);
                exports.add(bytes.toByteArray());
            }
            exchange.getResponseHeaders().add("Content-Type", "application/x-protobuf");
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        collector.start();
        emulator = EmulatorExtension.startForTheApp();
        String failed = emulator.job().type("EMBEDDING").target("cm4folderOtlp01").status("ERROR").add();

        app = LaunchedApp.start(dir, LaunchedApp.shippedJar(), dir, emulator, Map.of(
                "CAMEL_OPENTELEMETRY2_ENABLED", "true",
                "OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + collector.getAddress().getPort(),
                "OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf",
                "OTEL_BSP_SCHEDULE_DELAY", "200",
                "OTEL_SERVICE_NAME", "devana-jobs-under-test"));

        // the spans travel as protobuf: their strings (names, attribute keys and values) are in it as they are
        await().atMost(Duration.ofSeconds(60)).failFast("the app stopped", () -> !app.isAlive())
                .until(() -> exported().contains("retry POST") && exported().contains("ai.devana.job.error"));
        String exported = exported();
        assertThat(exported).contains("devana-jobs-under-test", "devana.job.id", failed, "devana.job.status", "ERROR",
                "devana.account", "publish", "ai.devana.job.error");
        assertThat(exported).doesNotContain(emulator.apiKey());
        assertThat(app.output()).contains("traces on").doesNotContain(emulator.apiKey());
    }

    private String exported() {
        StringBuilder all = new StringBuilder();
        for (byte[] export : exports) {
            all.append(new String(export, StandardCharsets.ISO_8859_1));
        }
        return all.toString();
    }
}
