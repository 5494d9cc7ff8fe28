package devana.jobs.api;

import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.HttpHeaders;

/**
 * Adds the Bearer key to requests of the Devana endpoints only (they name it with
 * {@code httpClientConfigurer=#devanaApiAuth}). The key never becomes an exchange header, an
 * endpoint URI or a log line, so no other endpoint (an HTTP event sink, say) can receive it.
 */
public final class DevanaApiAuth implements HttpClientConfigurer {

    private final String authorization;
    private final ApiTraffic traffic;

    public DevanaApiAuth(String apiKey) {
        this(apiKey, null);
    }

    public DevanaApiAuth(String apiKey, ApiTraffic traffic) {
        this.authorization = "Bearer " + apiKey;
        this.traffic = traffic;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        clientBuilder.addRequestInterceptorFirst((request, entity, context) ->
                request.setHeader(HttpHeaders.AUTHORIZATION, authorization));
        if (traffic != null) {
            clientBuilder.addResponseInterceptorLast((response, entity, context) -> traffic.answered(response.getCode()));
        }
    }

    @Override
    public String toString() {
        return "DevanaApiAuth[Bearer ****]";
    }
}
