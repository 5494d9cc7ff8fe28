package devana.jobs.config;

import java.util.Optional;
import org.apache.camel.spi.PropertiesComponent;

/**
 * The knobs the Java side needs, read once at startup and checked there with a message that names
 * the key and its environment variable, so a bad value stops the app before anything runs.
 */
public record Settings(String baseUrl, String apiKey, long pollIntervalMillis, int maxAttempts, int emulatorPort,
                       String dbUrl, String dbUser, String dbPassword, int dbPoolSize,
                       int rateLimitPerMinute, double retryShare, boolean incrementalPolling, long fullScanMillis,
                       long backoffBaseMillis, long backoffMaxMillis) {

    public static final long MIN_POLL_INTERVAL = 2000;

    public static Settings read(PropertiesComponent properties) {
        long interval = number(properties, "devana.poll.interval", "5000");
        if (interval < MIN_POLL_INTERVAL) {
            throw new InvalidSettingException("devana.poll.interval (DEVANA_POLL_INTERVAL) is " + interval
                    + " ms: the Devana API asks clients not to poll more often than every 2000 ms; set 2000 or more");
        }
        int maxAttempts = (int) number(properties, "devana.retry.max-attempts", "3");
        if (maxAttempts < 0 || maxAttempts > 100) {
            throw new InvalidSettingException("devana.retry.max-attempts (DEVANA_RETRY_MAX_ATTEMPTS) is " + maxAttempts
                    + ": use 0 (never retry) to 100");
        }
        int poolSize = (int) number(properties, "jobs.db.pool-size", "5");
        if (poolSize < 2) {
            throw new InvalidSettingException("jobs.db.pool-size (JOBS_DB_POOL_SIZE) is " + poolSize + ": use 2 or more");
        }
        String baseUrl = optional(properties, "devana.base-url").orElse(null);
        String apiKey = optional(properties, "devana.api-key").orElse(null);
        if (baseUrl != null && apiKey == null) {
            throw new InvalidSettingException("devana.base-url is set to " + baseUrl
                    + " but no API key is: set DEVANA_API_KEY (never write the key in a file)");
        }
        if (baseUrl != null && !baseUrl.startsWith("http://") && !baseUrl.startsWith("https://")) {
            throw new InvalidSettingException("devana.base-url (DEVANA_BASE_URL) must start with http:// or https://");
        }
        int perMinute = (int) number(properties, "devana.rate-limit.per-minute", "100");
        if (perMinute < 2) {
            throw new InvalidSettingException("devana.rate-limit.per-minute (DEVANA_RATE_LIMIT_PER_MINUTE) is " + perMinute
                    + ": use 2 or more (the API allows 100)");
        }
        long retryPercent = number(properties, "devana.rate-limit.retry-share-percent", "20");
        if (retryPercent < 1 || retryPercent > 90) {
            throw new InvalidSettingException("devana.rate-limit.retry-share-percent (DEVANA_RATE_LIMIT_RETRY_SHARE_PERCENT) is "
                    + retryPercent + ": use 1 to 90");
        }
        long stateRetention = number(properties, "jobs.state.retention-hours", "720");
        if (stateRetention < 48) {
            throw new InvalidSettingException("jobs.state.retention-hours (JOBS_STATE_RETENTION_HOURS) is " + stateRetention
                    + ": the API shows a job for 24 h after its creation and change detection needs its state until then; use 48 or more");
        }
        replayRetentionHours(properties);
        String strategy = optional(properties, "devana.poll.strategy").orElse("incremental");
        if (!strategy.equals("incremental") && !strategy.equals("full")) {
            throw new InvalidSettingException("devana.poll.strategy (DEVANA_POLL_STRATEGY) is '" + strategy
                    + "': use incremental or full");
        }
        return new Settings(baseUrl == null ? null : baseUrl.replaceAll("/+$", ""), apiKey, interval, maxAttempts,
                (int) number(properties, "devana.emulator.port", "8089"),
                optional(properties, "jobs.db.url").orElse("jdbc:h2:file:./data/devana-jobs"),
                optional(properties, "jobs.db.user").orElse(null),
                optional(properties, "jobs.db.password").orElse(null),
                poolSize, perMinute, retryPercent / 100.0, strategy.equals("incremental"),
                number(properties, "devana.poll.full-scan-interval", "300000"),
                number(properties, "devana.backoff.base", "2000"),
                number(properties, "devana.backoff.max", "60000"));
    }

    /**
     * Hours the key of an accepted webhook push is kept (jobs.webhook.replay-retention-hours): by default a week
     * longer than a job's tracked state, and never less than a day longer, so that a replay is still recognised
     * after the job's state is gone.
     */
    public static long replayRetentionHours(PropertiesComponent properties) {
        long stateRetention = number(properties, "jobs.state.retention-hours", "720");
        long replayRetention = number(properties, "jobs.webhook.replay-retention-hours", String.valueOf(stateRetention + 168));
        if (replayRetention < stateRetention + 24) {
            throw new InvalidSettingException("jobs.webhook.replay-retention-hours (JOBS_WEBHOOK_REPLAY_RETENTION_HOURS) is "
                    + replayRetention + ": a push is recognised as a replay only while its key is kept, so keep keys at least "
                    + "24 h longer than jobs.state.retention-hours (" + stateRetention + ")");
        }
        return replayRetention;
    }

    public boolean embedded() {
        return baseUrl == null;
    }

    public Settings withApi(String url, String key) {
        return new Settings(url, key, pollIntervalMillis, maxAttempts, emulatorPort, dbUrl, dbUser, dbPassword, dbPoolSize,
                rateLimitPerMinute, retryShare, incrementalPolling, fullScanMillis, backoffBaseMillis, backoffMaxMillis);
    }

    /** The JDBC URL as it may be shown: without a user or password in it, nor its parameters (they may hold one). */
    public String dbUrlForDisplay() {
        return displayed(dbUrl);
    }

    static String displayed(String jdbcUrl) {
        if (jdbcUrl == null) {
            return null;
        }
        String url = jdbcUrl.replaceFirst("//[^/@?;]*@", "//");
        int cut = url.length();
        for (char end : new char[] {'?', ';', '&'}) {
            int at = url.indexOf(end);
            if (at >= 0 && at < cut) {
                cut = at;
            }
        }
        return cut < url.length() ? url.substring(0, cut) + " (parameters not shown)" : url;
    }

    @Override
    public String toString() {
        return "Settings[baseUrl=" + baseUrl + ", apiKey=" + (apiKey == null ? "none" : "****")
                + ", pollIntervalMillis=" + pollIntervalMillis + ", maxAttempts=" + maxAttempts + ", dbUrl=" + dbUrlForDisplay() + "]";
    }

    /** The trimmed value of the key, empty when unset or blank. */
    public static Optional<String> optional(PropertiesComponent properties, String key) {
        return properties.resolveProperty(key).map(String::trim).filter(value -> !value.isEmpty());
    }

    /** The key's whole number, the fallback when unset; refused with the key and its variable when not a number. */
    public static long number(PropertiesComponent properties, String key, long fallback) {
        return number(properties, key, String.valueOf(fallback));
    }

    /** The environment variable that overrides a key (devana.poll.interval -> DEVANA_POLL_INTERVAL). */
    public static String variable(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static long number(PropertiesComponent properties, String key, String fallback) {
        String value = optional(properties, key).orElse(fallback);
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            throw new InvalidSettingException(key + " (" + variable(key) + ") must be a whole number, got '" + value + "'");
        }
    }

    /** A configuration value the app refuses to start with. */
    public static class InvalidSettingException extends IllegalArgumentException {
        public InvalidSettingException(String message) {
            super(message);
        }
    }
}
