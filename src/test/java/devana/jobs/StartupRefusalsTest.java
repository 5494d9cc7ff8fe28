package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import devana.jobs.config.Settings;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Settings the app refuses to start with, each said in one line that names the setting that moves it; and one it
 * must not refuse.
 */
class StartupRefusalsTest extends AppOnEmulatorTest {

    @Test
    void names_the_port_in_use_and_the_setting_that_moves_it() throws Exception {
        try (ServerSocket taken = new ServerSocket(0)) {
            Map<String, String> settings = RunningApp.settings(emulator, dataDir);
            settings.put("camel.server.port", String.valueOf(taken.getLocalPort()));

            String failure = RunningApp.startupFailure(settings);

            assertThat(failure).contains("port " + taken.getLocalPort()).contains("is in use")
                    .contains("camel.server.port (CAMEL_SERVER_PORT)");
        }
    }

    @Test
    void names_the_emulator_port_in_use_and_the_setting_that_moves_it() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
            Map<String, String> settings = RunningApp.settings(emulator, dataDir);
            settings.remove("devana.base-url");
            settings.remove("devana.api-key");
            settings.put("devana.emulator.port", String.valueOf(taken.getLocalPort()));

            String failure = RunningApp.startupFailure(settings);

            assertThat(failure).contains("port " + taken.getLocalPort() + " of the embedded emulator is in use")
                    .contains("devana.emulator.port (DEVANA_EMULATOR_PORT)");
        }
    }

    @Test
    void refuses_a_base_url_with_a_query_a_fragment_or_a_user_and_does_not_show_it() throws Exception {
        for (String url : new String[] {emulator.baseUrl() + "?x=", emulator.baseUrl() + "#top",
            emulator.baseUrl().replace("http://", "http://someone:s3cr3t@")}) {
            Map<String, String> settings = RunningApp.settings(emulator, dataDir);
            settings.put("devana.base-url", url);

            String failure = RunningApp.startupFailure(settings);

            assertThat(failure).as(url).contains("devana.base-url (DEVANA_BASE_URL) must be http(s)://host[:port][/path], "
                    + "with no query, fragment or user in it").doesNotContain("s3cr3t");
        }
        assertThat(emulator.requests()).isEmpty();
    }

    @Test
    void starts_and_polls_when_the_initial_delay_equals_the_interval() throws Exception {
        // the poll and the retry resends share one timer thread: their endpoints must still differ
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.poll.initial-delay", settings.get("devana.poll.interval"));
        long before = emulator.requests().size();
        try (RunningApp app = RunningApp.start(settings)) {
            assertThat(app.context().getRoute("resend-retry-requests-that-did-not-go-through").getUptimeMillis()).isNotNegative();
            await().atMost(Duration.ofSeconds(20)).until(() -> emulator.requests().size() > before);
        }
    }

    @Test
    void refuses_two_cluster_services_at_once_and_names_both_keys() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("camel.cluster.file.enabled", "true");
        settings.put("camel.cluster.file.root", dataDir.resolve("leaders").toString());
        settings.put("camel.cluster.kubernetes.enabled", "true");

        String failure = RunningApp.startupFailure(settings);

        assertThat(failure).contains("camel.cluster.file.enabled and camel.cluster.kubernetes.enabled are both true")
                .contains("CAMEL_CLUSTER_FILE_ENABLED").contains("CAMEL_CLUSTER_KUBERNETES_ENABLED");
    }

    @Test
    void refuses_no_room_for_full_scans_and_names_the_key() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.poll.full-scans-at-once", "0");

        String failure = RunningApp.startupFailure(settings);

        assertThat(failure).contains("devana.poll.full-scans-at-once (DEVANA_POLL_FULL_SCANS_AT_ONCE) is 0: use 1 to 1000");
    }

    @Test
    void refuses_file_locks_without_their_folder() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("camel.cluster.file.enabled", "true");

        String failure = RunningApp.startupFailure(settings);

        assertThat(failure).contains("camel.cluster.file.root (CAMEL_CLUSTER_FILE_ROOT) is not set");
    }

    @Test
    void masks_the_api_key_in_any_log_line_whoever_writes_it() throws Exception {
        try (LogCapture log = new LogCapture()) {
            startApp();
            org.slf4j.Logger library = org.slf4j.LoggerFactory.getLogger("org.example.SomeLibrary");

            library.warn("could not reach http://api/v1/documents/" + emulator.apiKey() + "/reextract",
                    new java.io.IOException("refused: " + emulator.apiKey(), new IllegalStateException("key=" + emulator.apiKey())));

            assertThat(log.text()).contains("could not reach http://api/v1/documents/****/reextract")
                    .contains("java.io.IOException: refused: ****").contains("key=****")
                    .doesNotContain(emulator.apiKey());
        }
    }

    @Test
    void logs_the_database_url_without_the_password_it_holds() throws Exception {
        try (LogCapture log = new LogCapture()) {
            startApp(Map.of("jobs.db.url", "jdbc:h2:file:" + dataDir.resolve("secured").toAbsolutePath() + ";PASSWORD=db-pass-in-url-7f3e"));

            assertThat(log.text()).contains("database jdbc:h2:file:").contains("(parameters not shown)")
                    .doesNotContain("db-pass-in-url-7f3e");
        }
    }

    @Test
    void refuses_an_account_name_that_could_not_be_part_of_a_path_an_env_name_or_a_lease() throws Exception {
        for (String accounts : List.of("default,Acme", "default,acme/../x", "default,acme,acme", "default,-acme", "default,")) {
            Map<String, String> settings = RunningApp.settings(emulator, dataDir);
            settings.put("devana.accounts", accounts);

            String failure = RunningApp.startupFailure(settings);

            assertThat(failure).as(accounts).contains("devana.accounts (DEVANA_ACCOUNTS) names");
        }
    }

    @Test
    void refuses_an_account_with_a_base_url_and_no_key_and_names_its_variable() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.accounts", "default,bu-east");
        settings.put("devana.accounts.bu-east.base-url", "https://api.devana.ai");

        String failure = RunningApp.startupFailure(settings);

        assertThat(failure).contains("account bu-east of devana.accounts has no API key")
                .contains("DEVANA_ACCOUNTS_BU_EAST_API_KEY");
    }

    @Test
    void refuses_a_short_webhook_secret_of_another_account_and_names_its_variable() throws Exception {
        Map<String, String> settings = RunningApp.settings(emulator, dataDir);
        settings.put("devana.accounts", "default,acme");
        settings.put("devana.accounts.acme.api-key", "k");
        settings.put("devana.accounts.acme.webhook-secret", "tiny-s3cret");

        String failure = RunningApp.startupFailure(settings);

        assertThat(failure).contains("DEVANA_ACCOUNTS_ACME_WEBHOOK_SECRET").doesNotContain("tiny-s3cret");
    }

    @Test
    void refuses_an_idle_or_push_safety_interval_below_the_poll_interval_or_past_the_readiness_poll_age() throws Exception {
        for (Map.Entry<String, String> bad : Map.of("devana.poll.idle-interval", "1000",
                "devana.poll.push-safety-interval", "120000").entrySet()) {
            Map<String, String> settings = RunningApp.settings(emulator, dataDir);
            settings.put(bad.getKey(), bad.getValue());

            String failure = RunningApp.startupFailure(settings);

            assertThat(failure).as(bad.getKey()).contains(bad.getKey() + " (" + Settings.variable(bad.getKey()) + ") is " + bad.getValue())
                    .contains("jobs.health.max-poll-age");
        }
    }
}
