package devana.jobs;

import devana.emulator.DevanaEmulator;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the suites that run the app in this JVM share: a fresh emulator for each test ({@link EmulatorExtension},
 * a job created by a retry stays PENDING, unless the test says otherwise), the app started on it with a fresh
 * H2 file under {@link #dataDir}, and both stopped after the test.
 */
abstract class AppOnEmulatorTest {

    @RegisterExtension
    final EmulatorExtension emulated = EmulatorExtension.forTheApp();

    @TempDir
    protected Path dataDir;

    protected DevanaEmulator emulator;
    protected RunningApp app;

    @BeforeEach
    void takeTheEmulator() {
        emulator = emulated.emulator();
    }

    /** Stops the app if one runs; the emulator stops after it. */
    @AfterEach
    protected void stopApp() throws Exception {
        if (app != null) {
            app.close();
            app = null;
        }
    }

    /** The test settings: the app on the emulator, its database under {@link #dataDir}. */
    protected Map<String, String> settings() {
        return RunningApp.settings(emulator, dataDir);
    }

    /** The app on the emulator with the test settings. */
    protected RunningApp startApp() {
        return startApp(Map.of());
    }

    /** The app on the emulator with the test settings, overridden or extended by these. */
    protected RunningApp startApp(Map<String, String> settings) {
        Map<String, String> all = settings();
        all.putAll(settings);
        app = RunningApp.start(all);
        return app;
    }
}
