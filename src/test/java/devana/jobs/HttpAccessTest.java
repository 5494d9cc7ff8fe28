package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * jobs.http.viewer-login: the dashboard and /api/* ask for a login when it is set; the webhook (signed)
 * and /observe/* (probes, Prometheus) never do.
 */
class HttpAccessTest extends AppOnEmulatorTest {

    private static final String LOGIN = "ops:s3cret pass:with colon";

    @Test
    void asks_for_the_viewer_login_on_the_dashboard_and_the_api_only() {
        startApp(Map.of("jobs.http.viewer-login", LOGIN));

        for (String path : new String[] {"/", "/dashboard/dashboard.js", "/api/stats", "/api/jobs?limit=5"}) {
            HttpResponse<String> anonymous = Http.get(app.url(path));
            assertThat(anonymous.statusCode()).as("no login: " + path).isEqualTo(401);
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).as("a browser asks for it")
                    .hasValueSatisfying(value -> assertThat(value).startsWith("Basic realm=\"devana-jobs\""));
            assertThat(anonymous.body()).doesNotContain("s3cret");
            assertThat(Http.get(app.url(path), Http.basic("ops:wrong")).statusCode()).as("a wrong password: " + path).isEqualTo(401);
            assertThat(Http.get(app.url(path), Map.of("Authorization", "Basic %%%not-base64")).statusCode()).isEqualTo(401);
            assertThat(Http.get(app.url(path), Http.basic(LOGIN)).statusCode()).as("the login: " + path).isEqualTo(200);
        }
        assertThat(Http.get(app.url("/observe/health/live")).statusCode()).isEqualTo(200);
        assertThat(Http.get(app.url("/observe/metrics")).body()).contains("devana_viewer_logins_refused_total 12.0");
        assertThat(Http.post(app.url("/webhook/job-status"), "{}".getBytes(StandardCharsets.UTF_8), Map.of()).statusCode())
                .as("the webhook answers for itself: no secret configured").isEqualTo(503);
    }

    @Test
    void asks_for_no_login_by_default() {
        startApp();
        assertThat(Http.get(app.url("/api/stats")).statusCode()).isEqualTo(200);
        assertThat(Http.get(app.url("/")).statusCode()).isEqualTo(200);
    }

    @Test
    void refuses_to_start_with_a_viewer_login_that_is_not_user_colon_password() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("jobs.http.viewer-login", "just-a-password");
        assertThat(RunningApp.startupFailure(settings))
                .contains("jobs.http.viewer-login (JOBS_HTTP_VIEWER_LOGIN) must be user:password").doesNotContain("just-a-password");
        assertThat(emulator.requests()).isEmpty();
    }
}
