package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's files over HTTP: served from the jar, nothing else, nothing from outside. */
class DashboardFilesTest extends AppOnEmulatorTest {

    @BeforeEach
    void startAll() {
        startApp();
    }

    @Test
    void serves_the_page_its_style_and_its_script_with_their_types() {
        HttpResponse<String> page = Http.get(app.url("/"));
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(page.headers().firstValue("Content-Security-Policy")).hasValueSatisfying(csp -> assertThat(csp).contains("default-src 'self'"));
        assertThat(page.body()).contains("<script src=\"/dashboard/dashboard.js\"></script>", "/dashboard/dashboard.css");

        assertThat(Http.get(app.url("/dashboard/dashboard.css")).headers().firstValue("Content-Type")).hasValue("text/css; charset=utf-8");
        HttpResponse<String> script = Http.get(app.url("/dashboard/dashboard.js"));
        assertThat(script.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(script.body()).contains("/api/stats", "/api/jobs").doesNotContain("innerHTML");
    }

    @Test
    void loads_nothing_from_outside_the_app() {
        for (String file : List.of("/", "/dashboard/dashboard.css", "/dashboard/dashboard.js")) {
            // the favicon's SVG namespace is a name, never fetched
            String body = Http.get(app.url(file)).body().replace("xmlns='http://www.w3.org/2000/svg'", "");
            assertThat(body).as(file).doesNotContainPattern("(?i)(https?:)?//[a-z0-9.-]+\\.[a-z]{2,}");
        }
    }

    @Test
    void serves_no_other_file() {
        for (String path : List.of("/dashboard/application.properties", "/dashboard/..%2Fapplication.properties",
                "/dashboard/index.htm", "/application.properties", "/routes/webhook.camel.yaml", "/data/devana-jobs.mv.db")) {
            assertThat(Http.get(app.url(path)).statusCode()).as(path).isEqualTo(404);
        }
    }
}
