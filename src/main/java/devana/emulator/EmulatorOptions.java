package devana.emulator;

/**
 * How an emulator starts. {@code port} 0 picks a free port; {@code rateLimitPerMinute} 0 disables the limit;
 * {@code speed} divides the documented job durations.
 */
public record EmulatorOptions(int port, String apiKey, long seed, boolean workload, double speed,
                              int rateLimitPerMinute, int maxVisibleJobs) {

    public EmulatorOptions {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        if (apiKey == null || apiKey.isBlank()) {
            throw new IllegalArgumentException("apiKey must not be blank");
        }
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("speed must be a positive number, got " + speed);
        }
        if (rateLimitPerMinute < 0) {
            throw new IllegalArgumentException("rateLimitPerMinute must be >= 0, got " + rateLimitPerMinute);
        }
        if (maxVisibleJobs < 0) {
            throw new IllegalArgumentException("maxVisibleJobs must be >= 0, got " + maxVisibleJobs);
        }
    }

    /** Empty emulator under manual control. */
    public static EmulatorOptions forTests() {
        return new EmulatorOptions(0, DevanaEmulator.DEFAULT_API_KEY, 42, false, 30, 100, 200);
    }

    /** Seeded workload where jobs arrive, progress and sometimes fail. */
    public static EmulatorOptions demo() {
        return forTests().withWorkload(true);
    }

    public EmulatorOptions withPort(int port) {
        return new EmulatorOptions(port, apiKey, seed, workload, speed, rateLimitPerMinute, maxVisibleJobs);
    }

    public EmulatorOptions withSeed(long seed) {
        return new EmulatorOptions(port, apiKey, seed, workload, speed, rateLimitPerMinute, maxVisibleJobs);
    }

    public EmulatorOptions withWorkload(boolean workload) {
        return new EmulatorOptions(port, apiKey, seed, workload, speed, rateLimitPerMinute, maxVisibleJobs);
    }

    public EmulatorOptions withSpeed(double speed) {
        return new EmulatorOptions(port, apiKey, seed, workload, speed, rateLimitPerMinute, maxVisibleJobs);
    }

    public EmulatorOptions withRateLimitPerMinute(int rateLimitPerMinute) {
        return new EmulatorOptions(port, apiKey, seed, workload, speed, rateLimitPerMinute, maxVisibleJobs);
    }

    public EmulatorOptions withMaxVisibleJobs(int maxVisibleJobs) {
        return new EmulatorOptions(port, apiKey, seed, workload, speed, rateLimitPerMinute, maxVisibleJobs);
    }

    @Override
    public String toString() {
        return "EmulatorOptions[port=" + port + ", seed=" + seed + ", workload=" + workload + ", speed=" + speed
                + ", rateLimitPerMinute=" + rateLimitPerMinute + ", maxVisibleJobs=" + maxVisibleJobs + "]";
    }
}
