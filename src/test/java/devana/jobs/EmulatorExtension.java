package devana.jobs;

import devana.emulator.DevanaEmulator;
import devana.emulator.EmulatorOptions;
import devana.emulator.RetryOutcome;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A fresh emulator for each test, registered with {@code @RegisterExtension}: started before the test class's
 * own {@code @BeforeEach} methods, closed after its {@code @AfterEach} methods, so after the app they stop.
 */
public final class EmulatorExtension implements BeforeEachCallback, AfterEachCallback {

    private final Supplier<DevanaEmulator> start;
    private DevanaEmulator emulator;

    private EmulatorExtension(Supplier<DevanaEmulator> start) {
        this.start = start;
    }

    /** The emulator the app's suites run on: see {@link #startForTheApp()}. */
    public static EmulatorExtension forTheApp() {
        return new EmulatorExtension(EmulatorExtension::startForTheApp);
    }

    /** An empty emulator under manual control where a job created by a retry stays PENDING, unless the test says otherwise. */
    public static DevanaEmulator startForTheApp() {
        DevanaEmulator started = DevanaEmulator.start(EmulatorOptions.forTests());
        started.setRetryOutcome((target, type) -> RetryOutcome.STAY_PENDING);
        return started;
    }

    /** The emulator of the running test. */
    public DevanaEmulator emulator() {
        if (emulator == null) {
            throw new IllegalStateException("the emulator runs only during a test");
        }
        return emulator;
    }

    @Override
    public void beforeEach(ExtensionContext context) {
        emulator = start.get();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (emulator != null) {
            emulator.close();
            emulator = null;
        }
    }
}
