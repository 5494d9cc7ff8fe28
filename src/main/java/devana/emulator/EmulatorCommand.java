package devana.emulator;

import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * The emulator alone on a port, until Ctrl-C: {@code devana-jobs emulator [--port 8089] [--api-key KEY]
 * [--seed 42] [--speed 30] [--no-workload] [--webhook-url URL]}. Exit code 0 after --help, 2 for a command
 * line it cannot run.
 */
@Command(name = "devana-jobs emulator", sortOptions = false,
        description = "Runs the Devana Jobs API emulator alone (docs/jobs-api.md), with a seeded demo workload, until Ctrl-C.",
        footer = "--webhook-url pushes every status change there, signed with $DEVANA_WEBHOOK_SECRET.")
public final class EmulatorCommand implements Callable<Integer> {

    static final String PORT_VARIABLE = "DEVANA_EMULATOR_PORT";
    static final String SECRET_VARIABLE = "DEVANA_WEBHOOK_SECRET";
    private static final int DEFAULT_PORT = 8089;
    private static final EmulatorOptions DEMO = EmulatorOptions.demo();

    @Spec
    private CommandSpec spec;

    @Option(names = "--port", paramLabel = "PORT",
            description = "the port on 127.0.0.1 (default: $" + PORT_VARIABLE + ", else " + DEFAULT_PORT + "; 0 picks a free one)")
    private int port;

    @Option(names = "--api-key", paramLabel = "KEY", description = "the key a request must bear (default: ${DEFAULT-VALUE})")
    private String apiKey;

    @Option(names = "--seed", paramLabel = "SEED", description = "seed of the workload (default: ${DEFAULT-VALUE})")
    private long seed;

    @Option(names = "--speed", paramLabel = "FACTOR",
            description = "divides the documented job durations (default: ${DEFAULT-VALUE})")
    private double speed;

    @Option(names = "--no-workload", description = "starts empty: no jobs arrive on their own")
    private boolean noWorkload;

    @Option(names = "--webhook-url", paramLabel = "URL", description = "pushes every status change to this URL")
    private String webhookUrl;

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "prints this help and exits")
    private boolean help;

    public static void main(String[] args) {
        int code = commandLine().execute(args);
        if (code != 0) {
            System.exit(code);
        }
    }

    static CommandLine commandLine() {
        return new CommandLine(new EmulatorCommand())
                .setDefaultValueProvider(EmulatorCommand::defaultValue)
                .setOverwrittenOptionsAllowed(true);
    }

    @Override
    public Integer call() throws InterruptedException {
        String secret = System.getenv(SECRET_VARIABLE);
        if (webhookUrl != null && (secret == null || secret.isBlank())) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--webhook-url needs the signing key in " + SECRET_VARIABLE);
        }
        EmulatorOptions options;
        try {
            options = new EmulatorOptions(port, apiKey, seed, !noWorkload, speed, DEMO.rateLimitPerMinute(),
                    DEMO.maxVisibleJobs());
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
        }
        DevanaEmulator emulator = DevanaEmulator.start(options);
        if (webhookUrl != null) {
            emulator.sendWebhooks(webhookUrl, secret);
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            emulator.close();
            stopped.countDown();
        }, "devana-emulator-shutdown"));
        boolean ownKey = spec.commandLine().getParseResult().hasMatchedOption("--api-key");
        System.out.println("Devana Jobs emulator on " + emulator.baseUrl() + " - API key: "
                + (ownKey ? "the one given with --api-key" : DevanaEmulator.DEFAULT_API_KEY)
                + (options.workload() ? " - demo workload, seed " + options.seed() : " - no workload")
                + (webhookUrl != null ? " - pushing webhooks to " + webhookUrl : "")
                + " - Ctrl-C to stop");
        stopped.await();
        return 0;
    }

    /** The defaults are the demo's, the port's from the environment. */
    private static String defaultValue(ArgSpec arg) {
        if (!(arg instanceof OptionSpec option)) {
            return null;
        }
        return switch (option.longestName()) {
            case "--port" -> {
                String fromEnvironment = System.getenv(PORT_VARIABLE);
                yield fromEnvironment == null || fromEnvironment.isBlank()
                        ? String.valueOf(DEFAULT_PORT) : fromEnvironment.trim();
            }
            case "--api-key" -> DEMO.apiKey();
            case "--seed" -> String.valueOf(DEMO.seed());
            case "--speed" -> String.valueOf(DEMO.speed());
            default -> null;
        };
    }
}
