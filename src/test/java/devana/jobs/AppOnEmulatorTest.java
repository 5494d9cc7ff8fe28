package devana.jobs;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.RetryOutcome;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the suites that run the app in this JVM share: a fresh emulator for each test (a job created by
 * a retry stays PENDING, unless the test says otherwise), the app started on it with a fresh H2 file
 * under {@link #dataDir}, and both stopped after the test.
 */
abstract class AppOnEmulatorTest {

    @TempDir
    protected Path dataDir;

    protected DevanaEmulator emulator;
    protected RunningApp app;

    @BeforeEach
    void startEmulator() {
        emulator = DevanaEmulator.start(EmulatorOptions.forTests());
        emulator.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
    }

    @AfterEach
    void stopAppAndEmulator() throws Exception {
        if (app != null) {
            app.close();
        }
        if (emulator != null) {
            emulator.close();
        }
    }

    /** The app on the emulator with the test settings. */
    protected RunningApp startApp() {
        return startApp(Map.of());
    }

    /** The app on the emulator with the test settings, overridden or extended by these. */
    protected RunningApp startApp(Map<String, String> settings) {
        Map<String, String> all = RunningApp.settings(emulator, dataDir);
        all.putAll(settings);
        app = RunningApp.start(all);
        return app;
    }
}
