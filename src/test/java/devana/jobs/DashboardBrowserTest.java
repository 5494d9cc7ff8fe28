package devana.jobs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.RetryOutcome;
import devana.jobs.browser.Chromium;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard at / in a real headless Chromium, against the running app on the emulator. Skipped
 * with its reason when chromium is not installed, unless REQUIRE_SERVICES=1 (CI), where it fails.
 */
class DashboardBrowserTest {

    private static final Duration PAGE = Duration.ofSeconds(30);
    private static Path executable;

    @TempDir
    Path dataDir;

    @TempDir
    Path profile;

    private DevanaEmulator emulator;
    private RunningApp app;
    private Chromium browser;

    @BeforeAll
    static void findChromium() {
        Optional<Path> found = Chromium.find();
        if (found.isEmpty() && "1".equals(System.getenv("REQUIRE_SERVICES"))) {
            fail("REQUIRE_SERVICES=1 but chromium is not on the PATH (apt-get install chromium)");
        }
        assumeTrue(found.isPresent(), "chromium is not installed (apt-get install chromium): the dashboard is not tested in a browser");
        executable = found.get();
    }

    @AfterEach
    void stopAll() throws Exception {
        if (browser != null) {
            browser.close();
        }
        if (app != null) {
            app.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    @Test
    void shows_counts_progress_bars_and_failures_and_updates_them_without_a_reload() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        emulator.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
        String running = emulator.job().type("EXTRACTION").target("cm4docLive").status("IN_PROGRESS").progress(30).add();
        emulator.job().type("SYNC").status("PENDING").add();
        emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        emulator.job().type("EMBEDDING").status("DONE").progress(100).add();
        String failed = emulator.job().type("SYNC").status("ERROR").error("SharePoint authentication expired").add();
        app = RunningApp.start(RunningApp.settings(emulator, dataDir));
        browser = Chromium.launch(executable, profile.resolve("chromium"));

        browser.navigate(app.url("/"));
        await().atMost(PAGE).until(() -> "5".equals(text("count-total")));
        assertThat(text("count-pending")).isEqualTo("1");
        assertThat(text("count-in_progress")).isEqualTo("1");
        assertThat(text("count-done")).isEqualTo("2");
        assertThat(text("count-error")).isEqualTo("1");
        assertThat(text("count-events-parked")).as("the stats' events_parked").isEqualTo("0");
        assertThat(browser.evaluate("document.querySelector('#types li[data-type=\"EMBEDDING\"] .count-of-type').textContent"))
                .isEqualTo("2");
        assertThat(barWidth(running)).isEqualTo("30%");
        assertThat(browser.evaluate(row("failures", failed) + ".textContent").toString())
                .contains("SharePoint authentication expired").contains("no retry call for this type");
        assertThat(browser.evaluate("document.getElementById('readiness').textContent")).isEqualTo("ready");
        browser.evaluate("window.sameDocument = 'yes'");

        emulator.update(running, "IN_PROGRESS", 75);
        emulator.job().type("GENERATION").status("DONE").progress(100).add();

        await().atMost(PAGE).until(() -> "75%".equals(barWidth(running)) && "3".equals(text("count-done")));
        assertThat(text("count-total")).isEqualTo("6");
        assertThat(browser.evaluate(row("active", running) + ".querySelector('[role=progressbar]').getAttribute('aria-valuenow')"))
                .isEqualTo("75");
        assertThat(browser.evaluate("window.sameDocument")).as("the page was not reloaded").isEqualTo("yes");
        assertThat(browser.pageErrors()).isEmpty();
    }

    @Test
    void shows_one_account_or_all_of_them_as_the_account_filter_says() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        emulator.job().type("EXTRACTION").status("IN_PROGRESS").progress(10).add();
        try (DevanaEmulator acme = DevanaEmulator.start(EmulatorOptions.forTests())) {
            acme.job().type("SYNC").status("PENDING").add();
            acme.job().type("SYNC").status("PENDING").add();
            Map<String, String> settings = RunningApp.settings(emulator, dataDir);
            settings.put("devana.accounts", "default,acme");
            settings.put("devana.accounts.acme.base-url", acme.baseUrl());
            settings.put("devana.accounts.acme.api-key", acme.apiKey());
            app = RunningApp.start(settings);
            browser = Chromium.launch(executable, profile.resolve("chromium"));

            browser.navigate(app.url("/"));
            await().atMost(PAGE).until(() -> "3".equals(text("count-total")));
            assertThat(browser.evaluate("document.getElementById('account-filter').hidden")).isEqualTo(false);
            assertThat(browser.evaluate("Array.from(document.getElementById('account').options).map(o => o.value).join(',')"))
                    .isEqualTo(",default,acme");

            browser.evaluate("(() => { const s = document.getElementById('account'); s.value = 'acme'; "
                    + "s.dispatchEvent(new Event('change')); return s.value; })()");
            await().atMost(PAGE).until(() -> "2".equals(text("count-total")));
            assertThat(text("count-pending")).isEqualTo("2");
            assertThat(text("count-in_progress")).isEqualTo("0");
            assertThat(browser.evaluate("window.location.search")).isEqualTo("?account=acme");

            // a link naming no account of this deployment shows them all
            browser.navigate(app.url("/?account=nobody"));
            await().atMost(PAGE).until(() -> "3".equals(text("count-total")));
            assertThat(browser.pageErrors()).isEmpty();
        }
    }

    @Test
    void fits_a_phone_and_a_laptop_screen_with_a_live_workload() throws Exception {
        emulator = DevanaEmulator.start(EmulatorOptions.demo());
        app = RunningApp.start(RunningApp.settings(emulator, dataDir));
        browser = Chromium.launch(executable, profile.resolve("chromium"));
        browser.viewport(1280, 1350, false);

        browser.navigate(app.url("/"));
        await().atMost(PAGE).until(() -> Integer.parseInt(text("count-total").replace("–", "0")) > 40
                && Boolean.TRUE.equals(browser.evaluate("document.querySelectorAll('#active .running .fill').length > 0"))
                && Boolean.TRUE.equals(browser.evaluate("document.querySelectorAll('#failures li').length > 0"))
                && "ready".equals(text("readiness")));
        assertThat(browser.evaluate("document.documentElement.scrollWidth <= 1280")).isEqualTo(true);
        Path laptop = Path.of("target", "dashboard.png");
        browser.screenshot(laptop, false);

        browser.viewport(390, 844, true);
        await().atMost(PAGE).until(() -> Boolean.TRUE.equals(browser.evaluate("document.documentElement.scrollWidth <= 390")));
        assertThat(browser.evaluate("getComputedStyle(document.querySelector('.count .value')).fontSize")).isNotEqualTo("0px");
        Path phone = Path.of("target", "dashboard-phone.png");
        browser.screenshot(phone, false);

        assertThat(Files.size(laptop)).isGreaterThan(20_000);
        assertThat(Files.size(phone)).isGreaterThan(10_000);
        assertThat(browser.pageErrors()).isEmpty();
    }

    private String text(String id) {
        return String.valueOf(browser.evaluate("document.getElementById('" + id + "').textContent"));
    }

    private String barWidth(String jobId) {
        Object width = browser.evaluate("(function(){var f=" + row("active", jobId) + "; return f ? f.querySelector('.fill').style.width : null;})()");
        return width == null ? null : width.toString();
    }

    private static String row(String list, String jobId) {
        return "document.querySelector('#" + list + " li[data-job-id=\"" + jobId + "\"]')";
    }
}
