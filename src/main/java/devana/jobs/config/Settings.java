package devana.jobs.config;

import devana.jobs.cluster.Leadership;
import devana.jobs.contract.AccountName;
import devana.jobs.http.HttpLimits;
import devana.jobs.text.OneLine;
import devana.jobs.views.ViewerLogin;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.PropertiesComponent;

/**
 * Every key the Java side needs, read here once at startup and checked with a message that names the key
 * and its environment variable, so a bad value stops the app before anything runs. The defaults are
 * application.properties' (the one home of every key, its comment and its value); a key it gives that is
 * missing here is refused, not silently replaced. The keys the routes read themselves are Camel's business.
 */
public record Settings(String baseUrl, String apiKey, long pollIntervalMillis, int maxAttempts, int emulatorPort,
                       String dbUrl, String dbUser, String dbPassword, int dbPoolSize,
                       int rateLimitPerMinute, double retryShare, boolean incrementalPolling, long fullScanMillis,
                       int fullScansAtOnce, long backoffBaseMillis, long backoffMaxMillis, long idleIntervalMillis, long pushSafetyMillis,
                       Service service, List<AccountSettings> accounts) {

    /** The keys of the running service around the poller: its HTTP server, the bus, health, secrets. */
    /** @param traces camel.opentelemetry2.enabled: Camel's tracer and the job changes' traces (JobTraces) */
    public record Service(int serverPort, String webhookSecret, String viewerLogin, String eventsUri,
                          long eventsBackoffMaxMillis, int parkAfterRefusals, long maxPollAgeMillis, long replayRetentionHours, HttpLimits http,
                          Leadership leadership, boolean traces) {

        @Override
        public String toString() {
            return "Service[serverPort=" + serverPort + ", webhookSecret=" + (webhookSecret == null ? "none" : "****")
                    + ", viewerLogin=" + (viewerLogin == null ? "none" : "****") + "]";
        }
    }

    public static final long MIN_POLL_INTERVAL = 2000;

    /**
     * The settings as a command beside the app reads them, on {@code camel}'s properties component: the properties file
     * at {@code location}, environment variables over it, then {@code overrides}.
     */
    public static Settings read(CamelContext camel, String location, Map<String, String> overrides) {
        camel.getPropertiesComponent().setLocation(location);
        Properties override = new Properties();
        override.putAll(overrides);
        camel.getPropertiesComponent().setOverrideProperties(override);
        return read(camel.getPropertiesComponent());
    }

    public static Settings read(PropertiesComponent properties) {
        long interval = number(properties, "devana.poll.interval");
        if (interval < MIN_POLL_INTERVAL) {
            throw new InvalidSettingException("devana.poll.interval (DEVANA_POLL_INTERVAL) is " + interval
                    + " ms: the Devana API asks clients not to poll more often than every 2000 ms; set 2000 or more");
        }
        int maxAttempts = (int) number(properties, "devana.retry.max-attempts");
        if (maxAttempts < 0 || maxAttempts > 100) {
            throw new InvalidSettingException("devana.retry.max-attempts (DEVANA_RETRY_MAX_ATTEMPTS) is " + maxAttempts
                    + ": use 0 (never retry) to 100");
        }
        int poolSize = (int) number(properties, "jobs.db.pool-size");
        if (poolSize < 2) {
            throw new InvalidSettingException("jobs.db.pool-size (JOBS_DB_POOL_SIZE) is " + poolSize + ": use 2 or more");
        }
        String baseUrl = optional(properties, "devana.base-url").orElse(null);
        String apiKey = optional(properties, "devana.api-key").orElse(null);
        if (baseUrl != null && apiKey == null) {
            throw new InvalidSettingException("devana.base-url is set to " + baseUrl
                    + " but no API key is: set DEVANA_API_KEY (never write the key in a file)");
        }
        checkBaseUrl("devana.base-url", baseUrl);
        int perMinute = (int) number(properties, "devana.rate-limit.per-minute");
        if (perMinute < 2) {
            throw new InvalidSettingException("devana.rate-limit.per-minute (DEVANA_RATE_LIMIT_PER_MINUTE) is " + perMinute
                    + ": use 2 or more (the API allows 100)");
        }
        long retryPercent = number(properties, "devana.rate-limit.retry-share-percent");
        if (retryPercent < 1 || retryPercent > 90) {
            throw new InvalidSettingException("devana.rate-limit.retry-share-percent (DEVANA_RATE_LIMIT_RETRY_SHARE_PERCENT) is "
                    + retryPercent + ": use 1 to 90");
        }
        long stateRetention = number(properties, "jobs.state.retention-hours");
        if (stateRetention < 48) {
            throw new InvalidSettingException("jobs.state.retention-hours (JOBS_STATE_RETENTION_HOURS) is " + stateRetention
                    + ": the API shows a job for 24 h after its creation and change detection needs its state until then; use 48 or more");
        }
        long replayRetention = replayRetentionHours(properties, stateRetention);
        List<AccountSettings> accounts = accounts(properties, baseUrl == null ? null : baseUrl.replaceAll("/+$", ""), apiKey);
        String strategy = optional(properties, "devana.poll.strategy").orElse("");
        if (!strategy.equals("incremental") && !strategy.equals("full")) {
            throw new InvalidSettingException("devana.poll.strategy (DEVANA_POLL_STRATEGY) is '" + strategy
                    + "': use incremental or full");
        }
        return new Settings(baseUrl == null ? null : baseUrl.replaceAll("/+$", ""), apiKey, interval, maxAttempts,
                (int) number(properties, "devana.emulator.port"),
                required(properties, "jobs.db.url"),
                optional(properties, "jobs.db.user").orElse(null),
                optional(properties, "jobs.db.password").orElse(null),
                poolSize, perMinute, retryPercent / 100.0, strategy.equals("incremental"),
                number(properties, "devana.poll.full-scan-interval"),
                fullScansAtOnce(properties),
                number(properties, "devana.backoff.base"),
                number(properties, "devana.backoff.max"),
                pace(properties, "devana.poll.idle-interval", interval),
                pace(properties, "devana.poll.push-safety-interval", interval),
                new Service((int) number(properties, "camel.server.port"),
                        optional(properties, "devana.webhook.secret").orElse(null),
                        optional(properties, ViewerLogin.KEY).orElse(null),
                        optional(properties, "jobs.events.uri").orElse(""),
                        number(properties, "jobs.events.backoff-max"),
                        parkAfterRefusals(properties),
                        number(properties, "jobs.health.max-poll-age"),
                        replayRetention, httpLimits(properties), leadership(properties),
                        flag(properties, "camel.opentelemetry2.enabled")), accounts);
    }

    /**
     * The accounts of devana.accounts, in its order: the default one with today's keys, each other with its own
     * (AccountSettings), its base URL the default's when unset, its API key required when it has a base URL.
     */
    private static List<AccountSettings> accounts(PropertiesComponent properties, String defaultUrl, String defaultKey) {
        String list = required(properties, "devana.accounts");
        List<String> names = new ArrayList<>();
        for (String item : list.split(",", -1)) {
            String name = item.trim();
            if (!AccountName.isValid(name)) {
                throw new InvalidSettingException("devana.accounts (DEVANA_ACCOUNTS) names '" + OneLine.printable(name, 40)
                        + "': an account's name is 1 to " + AccountName.MAX_LENGTH + " lower-case letters and digits, words "
                        + "joined by '-', starting with a letter (it becomes part of webhook paths, env names and Lease names)");
            }
            if (names.contains(name)) {
                throw new InvalidSettingException("devana.accounts (DEVANA_ACCOUNTS) names '" + name + "' twice");
            }
            names.add(name);
        }
        Map<String, AccountSettings> accounts = new LinkedHashMap<>();
        for (String name : names) {
            if (AccountName.DEFAULT.equals(name)) {
                accounts.put(name, new AccountSettings(name, defaultUrl, defaultKey,
                        optional(properties, "devana.webhook.secret").orElse(null)));
                continue;
            }
            String urlKey = AccountSettings.key(name, "base-url");
            String url = optional(properties, urlKey).map(value -> value.replaceAll("/+$", "")).orElse(defaultUrl);
            checkBaseUrl(urlKey, url);
            String keyKey = AccountSettings.key(name, "api-key");
            String key = optional(properties, keyKey).orElse(null);
            if (url != null && key == null) {
                throw new InvalidSettingException("account " + name + " of devana.accounts has no API key: set "
                        + variable(keyKey) + " (never write the key in a file)");
            }
            accounts.put(name, new AccountSettings(name, url, key,
                    optional(properties, AccountSettings.key(name, "webhook-secret")).orElse(null)));
        }
        return List.copyOf(accounts.values());
    }

    /**
     * The cluster service that elects the leader of each group of timer routes (camel.cluster.*): file locks or
     * Kubernetes Leases, at most one of them; none, and this instance leads every group.
     */
    private static Leadership leadership(PropertiesComponent properties) {
        boolean files = flag(properties, "camel.cluster.file.enabled");
        boolean leases = flag(properties, "camel.cluster.kubernetes.enabled");
        if (files && leases) {
            throw new InvalidSettingException("camel.cluster.file.enabled and camel.cluster.kubernetes.enabled are both true: "
                    + "choose one cluster service (CAMEL_CLUSTER_FILE_ENABLED or CAMEL_CLUSTER_KUBERNETES_ENABLED)");
        }
        if (files) {
            String root = optional(properties, "camel.cluster.file.root").orElseThrow(() -> new InvalidSettingException(
                    "camel.cluster.file.enabled is true but camel.cluster.file.root (CAMEL_CLUSTER_FILE_ROOT) is not set: "
                            + "name the folder every instance shares"));
            return new Leadership.FileLocks(Path.of(root), positive(properties, "camel.cluster.file.acquire-lock-delay"),
                    positive(properties, "camel.cluster.file.acquire-lock-interval"));
        }
        if (leases) {
            long duration = positive(properties, "camel.cluster.kubernetes.lease-duration-millis");
            long renew = positive(properties, "camel.cluster.kubernetes.renew-deadline-millis");
            long retry = positive(properties, "camel.cluster.kubernetes.retry-period-millis");
            if (!(retry * 1.2 < renew && renew < duration)) {
                throw new InvalidSettingException("camel.cluster.kubernetes.*: 1.2 x retry-period-millis (" + retry
                        + ") < renew-deadline-millis (" + renew + ") < lease-duration-millis (" + duration
                        + ") is required (Camel's Lease service refuses other values when its routes start)");
            }
            String resourceName = required(properties, "camel.cluster.kubernetes.kubernetes-resource-name");
            if (!resourceName.matches("[a-z0-9]([-a-z0-9]{0,40}[a-z0-9])?")) {
                throw new InvalidSettingException("camel.cluster.kubernetes.kubernetes-resource-name (CAMEL_CLUSTER_KUBERNETES_"
                        + "KUBERNETES_RESOURCE_NAME) must be lower-case letters, digits and '-' (a Lease name prefix), got '"
                        + resourceName + "'");
            }
            boolean spread = flag(properties, "camel.cluster.kubernetes.rebalancing");
            return new Leadership.Leases(optional(properties, "camel.cluster.kubernetes.namespace").orElse(null),
                    optional(properties, "camel.cluster.kubernetes.pod-name").orElse(null),
                    optional(properties, "camel.cluster.kubernetes.master-url").orElse(null),
                    resourceName, duration, renew, retry, clusterLabels(properties), spread ? retry : 0);
        }
        return new Leadership.Solo();
    }

    /** camel.cluster.kubernetes.cluster-labels: name=value pairs, comma-separated, that the members' pods carry. */
    private static Map<String, String> clusterLabels(PropertiesComponent properties) {
        String key = "camel.cluster.kubernetes.cluster-labels";
        Map<String, String> labels = new LinkedHashMap<>();
        for (String pair : required(properties, key).split(",", -1)) {
            String[] parts = pair.trim().split("=", -1);
            if (parts.length != 2 || !parts[0].matches("([a-z0-9.-]{1,253}/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?")
                    || !parts[1].matches("([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?")) {
                throw new InvalidSettingException(key + " (" + variable(key) + ") must be name=value pairs of Kubernetes "
                        + "labels, comma-separated (app.kubernetes.io/name=devana-jobs)");
            }
            labels.put(parts[0], parts[1]);
        }
        return labels;
    }

    /**
     * A longest wait between two cycles of an account (devana.poll.idle-interval, devana.poll.push-safety-interval):
     * at least the poll interval (equal to it: always poll at the interval), and less than the poll age at which
     * readiness turns DOWN (jobs.health.max-poll-age), else a quiet account would look broken.
     */
    private static long pace(PropertiesComponent properties, String key, long interval) {
        long value = number(properties, key);
        long maxAge = number(properties, "jobs.health.max-poll-age");
        if (value < interval || value >= maxAge) {
            throw new InvalidSettingException(key + " (" + variable(key) + ") is " + value + " ms: use from devana.poll.interval ("
                    + interval + " ms) to less than jobs.health.max-poll-age (" + maxAge + " ms)");
        }
        return value;
    }

    private static boolean flag(PropertiesComponent properties, String key) {
        String value = required(properties, key);
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new InvalidSettingException(key + " (" + variable(key) + ") must be true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    private static long positive(PropertiesComponent properties, String key) {
        long value = number(properties, key);
        if (value < 1) {
            throw new InvalidSettingException(key + " (" + variable(key) + ") must be 1 or more");
        }
        return value;
    }

    /** The HTTP server's bounds (jobs.http.*), each 1 or more. */
    private static HttpLimits httpLimits(PropertiesComponent properties) {
        long[] values = new long[5];
        String[] keys = {"jobs.http.request-timeout", "jobs.http.idle-timeout", "jobs.http.max-connections",
                "jobs.http.webhook-concurrency", "jobs.http.view-concurrency"};
        for (int i = 0; i < keys.length; i++) {
            values[i] = number(properties, keys[i]);
            if (values[i] < 1) {
                throw new InvalidSettingException(keys[i] + " (" + variable(keys[i]) + ") must be 1 or more");
            }
        }
        return new HttpLimits(Duration.ofMillis(values[0]), Duration.ofMillis(values[1]), (int) values[2],
                (int) values[3], (int) values[4]);
    }

    /**
     * Hours the key of an accepted webhook push is kept (jobs.webhook.replay-retention-hours): by default a week
     * longer than a job's tracked state, and never less than a day longer, so that a replay is still recognised
     * after the job's state is gone.
     */
    private static long replayRetentionHours(PropertiesComponent properties, long stateRetention) {
        long replayRetention = optional(properties, "jobs.webhook.replay-retention-hours").isPresent()
                ? number(properties, "jobs.webhook.replay-retention-hours") : stateRetention + 168;
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
                rateLimitPerMinute, retryShare, incrementalPolling, fullScanMillis, fullScansAtOnce, backoffBaseMillis, backoffMaxMillis,
                idleIntervalMillis, pushSafetyMillis, service, accounts);
    }

    /** These settings with the accounts as they run (an embedded account with its emulator's URL and key). */
    public Settings withAccounts(List<AccountSettings> running) {
        return new Settings(baseUrl, apiKey, pollIntervalMillis, maxAttempts, emulatorPort, dbUrl, dbUser, dbPassword, dbPoolSize,
                rateLimitPerMinute, retryShare, incrementalPolling, fullScanMillis, fullScansAtOnce, backoffBaseMillis, backoffMaxMillis,
                idleIntervalMillis, pushSafetyMillis, service, List.copyOf(running));
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

    /** The key's value; refused when unset (application.properties gives it one). */
    private static String required(PropertiesComponent properties, String key) {
        return optional(properties, key).orElseThrow(() -> new InvalidSettingException(key + " (" + variable(key)
                + ") is not set: application.properties gives it a value; restore that line or set the variable"));
    }

    /**
     * A base URL is http:// or https://, a host, and at most a port and a path: a query, a fragment or a user there would
     * be carried into (or refused from) every request the app builds on it (ApiRequest), and a user is a secret.
     */
    private static void checkBaseUrl(String key, String url) {
        if (url == null) {
            return;
        }
        if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new InvalidSettingException(key + " (" + variable(key) + ") must start with http:// or https://");
        }
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            uri = null;
        }
        if (uri == null || uri.getHost() == null || uri.getRawQuery() != null || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null || url.contains("?") || url.contains("#")) {
            throw new InvalidSettingException(key + " (" + variable(key) + ") must be http(s)://host[:port][/path], with no "
                    + "query, fragment or user in it");
        }
    }

    /** The environment variable that overrides a key (devana.poll.interval -> DEVANA_POLL_INTERVAL). */
    public static String variable(String key) {
        return key.toUpperCase(java.util.Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static int parkAfterRefusals(PropertiesComponent properties) {
        long refusals = number(properties, "jobs.events.park-after-refusals");
        if (refusals < 1 || refusals > 100) {
            throw new InvalidSettingException("jobs.events.park-after-refusals (JOBS_EVENTS_PARK_AFTER_REFUSALS) is " + refusals
                    + ": use 1 to 100");
        }
        return (int) refusals;
    }

    private static int fullScansAtOnce(PropertiesComponent properties) {
        long value = number(properties, "devana.poll.full-scans-at-once");
        if (value < 1 || value > 1000) {
            throw new InvalidSettingException("devana.poll.full-scans-at-once (DEVANA_POLL_FULL_SCANS_AT_ONCE) is " + value
                    + ": use 1 to 1000 (how many accounts of this instance may run a full scan at the same time)");
        }
        return (int) value;
    }

    private static long number(PropertiesComponent properties, String key) {
        String value = required(properties, key);
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
