package devana.jobs.views;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Map;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * The dashboard's three files, read once from the jar (classpath {@code dashboard/}). Only these
 * names are served: nothing from the working directory, no other classpath resource.
 */
public class DashboardAssets {

    private static final Map<String, String> FILES = Map.of(
            "index.html", "text/html; charset=utf-8",
            "dashboard.css", "text/css; charset=utf-8",
            "dashboard.js", "text/javascript; charset=utf-8");

    private final Map<String, byte[]> content;

    public DashboardAssets() {
        this.content = Map.of(
                "index.html", load("index.html"),
                "dashboard.css", load("dashboard.css"),
                "dashboard.js", load("dashboard.js"));
    }

    /** Answers with the file named by the header {@code file} (the route's path parameter), index.html when absent. */
    public void serve(Exchange exchange) {
        Message message = exchange.getMessage();
        String name = message.getHeader("file", "index.html", String.class);
        message.removeHeaders("*");
        byte[] body = content.get(name);
        if (body == null) {
            message.setHeader(Exchange.HTTP_RESPONSE_CODE, 404);
            message.setHeader(Exchange.CONTENT_TYPE, "text/plain; charset=utf-8");
            message.setBody("not found");
            return;
        }
        message.setHeader(Exchange.HTTP_RESPONSE_CODE, 200);
        message.setHeader(Exchange.CONTENT_TYPE, FILES.get(name));
        message.setHeader("Cache-Control", "no-cache");
        message.setHeader("X-Content-Type-Options", "nosniff");
        message.setHeader("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'");
        message.setBody(body);
    }

    private static byte[] load(String name) {
        try (InputStream in = DashboardAssets.class.getClassLoader().getResourceAsStream("dashboard/" + name)) {
            if (in == null) {
                throw new IllegalStateException("dashboard/" + name + " is missing from the jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
