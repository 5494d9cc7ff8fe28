package devana.jobs.wait;

import com.fasterxml.jackson.databind.ObjectMapper;
import devana.jobs.client.ApiBudget;
import devana.jobs.contract.ApiRequest;
import devana.jobs.client.DevanaApiClient;
import devana.jobs.client.JobsPage;
import devana.jobs.config.Settings;
import devana.jobs.errors.LogMasking;
import devana.jobs.text.Secrets;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.PropertyBindingSupport;
import org.apache.camel.util.StringHelper;

/**
 * The jobs of one target, read with the routes' own client: camel-http configured from the same
 * {@code camel.component.http.*} keys (timeouts, automatic retries off), the same client configurer
 * (contract check, Bearer key, budget), the same settings checks, and an {@link ApiBudget} of its own
 * that honours a 429's Retry-After.
 */
final class TargetJobs implements AutoCloseable {

    private final CamelContext camel;
    private final ProducerTemplate template;
    private final ApiBudget budget;
    private final ObjectMapper mapper = new ObjectMapper();
    private final String endpoint;
    private final String baseUrl;

    private TargetJobs(CamelContext camel, Settings settings, Clock clock) {
        this.camel = camel;
        this.baseUrl = settings.baseUrl();
        this.budget = new ApiBudget(clock, new SimpleMeterRegistry(), settings.rateLimitPerMinute(), settings.retryShare(),
                Duration.ofMillis(settings.backoffBaseMillis()), Duration.ofMillis(settings.backoffMaxMillis()));
        camel.getRegistry().bind("devanaPollClient",
                new DevanaApiClient(settings.apiKey(), settings.baseUrl(), budget, ApiBudget.Caller.POLL));
        this.endpoint = settings.baseUrl() + "?httpMethod=GET&httpClientConfigurer=#devanaPollClient&skipRequestHeaders=true";
        this.template = camel.createProducerTemplate();
    }

    /**
     * Reads the configuration as the app does (application.properties of the working directory or
     * the jar, environment variables over it, then {@code overrides}) and starts the client.
     *
     * @throws Settings.InvalidSettingException when the settings are wrong or name no API
     */
    static TargetJobs open(String propertiesLocation, Map<String, String> overrides, Clock clock) {
        CamelContext camel = new DefaultCamelContext();
        try {
            Settings settings = Settings.read(camel, propertiesLocation, overrides);
            Secrets.remember(settings.apiKey());
            LogMasking.install();
            if (settings.embedded()) {
                throw new Settings.InvalidSettingException("DEVANA_BASE_URL is not set: the wait command asks a real API "
                        + "or a running emulator (java -jar devana-jobs.jar emulator), with DEVANA_API_KEY");
            }
            Map<String, Object> http = new HashMap<>();
            camel.getPropertiesComponent().loadProperties(key -> key.startsWith("camel.component.http."))
                    .stringPropertyNames().forEach(key -> http.put(
                            StringHelper.dashToCamelCase(key.substring("camel.component.http.".length())),
                            camel.getPropertiesComponent().resolveProperty(key).orElse(null)));
            PropertyBindingSupport.build().withCamelContext(camel).withTarget(camel.getComponent("http", HttpComponent.class))
                    .withProperties(http).withIgnoreCase(true).bind();
            camel.start();
            return new TargetJobs(camel, settings, clock);
        } catch (RuntimeException e) {
            camel.stop();
            throw e;
        }
    }

    String baseUrl() {
        return baseUrl;
    }

    ApiBudget budget() {
        return budget;
    }

    /**
     * GET /v1/jobs?targetId=..&limit=100: the target's visible jobs, newest first. A failed call
     * throws (HttpOperationFailedException, IOException ...); the client reports it to the budget (a 429
     * pauses it for its Retry-After).
     */
    List<Map<String, Object>> jobs(String targetId) throws Exception {
        ApiRequest request = ApiRequest.jobsOfTarget(targetId);
        Exchange answer = template.request(endpoint, exchange -> request.applyTo(exchange.getMessage()));
        if (answer.getException() != null) {
            throw answer.getException();
        }
        List<Map<String, Object>> jobs = new ArrayList<>();
        for (Object job : JobsPage.read(mapper, answer.getMessage().getBody(String.class), request.toString())) {
            if (job instanceof Map<?, ?> map) {
                @SuppressWarnings("unchecked")
                Map<String, Object> fields = (Map<String, Object>) map;
                jobs.add(fields);
            }
        }
        return jobs;
    }

    @Override
    public void close() {
        camel.stop();
    }
}
