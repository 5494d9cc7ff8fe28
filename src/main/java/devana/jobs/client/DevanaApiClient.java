package devana.jobs.client;

import devana.jobs.contract.ApiRequest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import org.apache.camel.component.http.HttpClientConfigurer;
import org.apache.hc.client5.http.classic.ExecChain;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.apache.hc.core5.http.ClassicHttpRequest;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpException;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.HttpHeaders;
import org.apache.hc.core5.http.HttpRequest;
import org.apache.hc.core5.http.io.entity.HttpEntityWrapper;
import org.apache.hc.core5.net.URIAuthority;

/**
 * The HTTP client of the Devana endpoints (a route names it with {@code httpClientConfigurer=#devanaPollClient}
 * or {@code #devanaRetryClient}, the share of the budget its calls draw from): the one place every request to
 * the API and every answer pass.
 * <ul>
 * <li>A request goes out only if it is one of the API's calls ({@link ApiRequest#refusal}) on the configured
 * base URL; anything else is refused before the Bearer key is added, so a request that data managed to
 * bend can never carry the key.</li>
 * <li>Then it takes its slot of the {@link ApiBudget}, or is not sent ({@link BudgetSpentException}); its
 * answer, or its failure to get one, is reported to the budget (which counts it and pauses every caller
 * after a 429, a 5xx or a timeout). No route calls the budget itself.</li>
 * <li>The key is added here and nowhere else: it never becomes an exchange header, an endpoint URI or a
 * log line, so no other endpoint (an HTTP event sink, say) can receive it.</li>
 * <li>An answer is read to at most {@link #MAX_ANSWER_BYTES}: a larger one fails as
 * {@link AnswerTooLargeException} instead of filling the heap.</li>
 * </ul>
 */
public final class DevanaApiClient implements HttpClientConfigurer {

    /** The most bytes of one answer read: 100 jobs of 160 KiB each; a page of the API is a few hundred KiB. */
    public static final long MAX_ANSWER_BYTES = 16L * 1024 * 1024;

    private final String authorization;
    private final URI base;
    private final String basePath;
    private final ApiBudget budget;
    private final ApiBudget.Caller caller;

    /** The client of the calls that draw from {@code caller}'s share of {@code budget}. */
    public DevanaApiClient(String apiKey, String baseUrl, ApiBudget budget, ApiBudget.Caller caller) {
        this.authorization = "Bearer " + apiKey;
        this.base = URI.create(baseUrl);
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        this.basePath = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
        this.budget = budget;
        this.caller = caller;
    }

    @Override
    public void configureHttpClient(HttpClientBuilder clientBuilder) {
        // first in the chain: once per call, before redirects or retries of the client could repeat it
        clientBuilder.addExecInterceptorFirst("devana-api-budget", this::call);
        // a 429's Retry-After is the budget's to honour (every caller pauses): the client's own retry would hang the
        // route for as long as the API asks, unseen (also camel.component.http.automatic-retries-disabled in the app)
        clientBuilder.disableAutomaticRetries();
        clientBuilder.addRequestInterceptorLast((request, entity, context) ->
                request.setHeader(HttpHeaders.AUTHORIZATION, authorization));
    }

    private ClassicHttpResponse call(ClassicHttpRequest request, ExecChain.Scope scope, ExecChain chain)
            throws IOException, HttpException {
        String refusal = refusal(request);
        if (refusal != null) {
            throw new OffContractRequestException("request refused before it left: " + refusal);
        }
        budget.acquire(caller);
        ClassicHttpResponse response;
        try {
            response = chain.proceed(request, scope);
        } catch (IOException failure) {
            budget.unreachable(failure);
            throw failure;
        }
        budget.answered(response.getCode(), name -> {
            Header header = response.getLastHeader(name);
            return header == null ? null : header.getValue();
        });
        if (response.getEntity() != null) {
            response.setEntity(new BoundedEntity(response.getEntity(), budget));
        }
        return response;
    }

    /** Null when the request is one of the API's calls on the configured base URL, else why not. */
    String refusal(HttpRequest request) {
        URIAuthority authority = request.getAuthority();
        if (authority == null || request.getScheme() == null || !base.getScheme().equalsIgnoreCase(request.getScheme())
                || !authority.getHostName().equalsIgnoreCase(base.getHost())
                || port(authority.getPort(), request.getScheme()) != port(base.getPort(), base.getScheme())) {
            return "not addressed to the configured API (devana.base-url)";
        }
        String target = request.getPath();
        int q = target.indexOf('?');
        String path = q < 0 ? target : target.substring(0, q);
        String query = q < 0 ? null : target.substring(q + 1);
        if (!path.startsWith(basePath + "/")) {
            return "not below the path of devana.base-url";
        }
        return ApiRequest.refusal(request.getMethod(), path.substring(basePath.length()), query);
    }

    private static int port(int port, String scheme) {
        if (port != -1) {
            return port;
        }
        return "https".equalsIgnoreCase(scheme) ? 443 : 80;
    }

    @Override
    public String toString() {
        return "DevanaApiClient[Bearer ****]";
    }

    /** A request to the Devana API that is none of its calls: it was not sent. */
    public static final class OffContractRequestException extends IOException {
        public OffContractRequestException(String message) {
            super(message);
        }
    }

    /** An answer of the Devana API over {@link #MAX_ANSWER_BYTES}: read no further. */
    public static final class AnswerTooLargeException extends IOException {
        public AnswerTooLargeException() {
            super("the Devana API's answer is over " + MAX_ANSWER_BYTES / (1024 * 1024) + " MiB: not read further");
        }
    }

    /** The answer's body, read to {@link #MAX_ANSWER_BYTES} at most; a read that fails (a timeout) is reported. */
    private static final class BoundedEntity extends HttpEntityWrapper {

        private final ApiBudget budget;

        BoundedEntity(HttpEntity entity, ApiBudget budget) {
            super(entity);
            this.budget = budget;
        }

        @Override
        public InputStream getContent() throws IOException {
            if (getContentLength() > MAX_ANSWER_BYTES) {
                super.getContent().close();
                throw new AnswerTooLargeException();
            }
            return new FilterInputStream(super.getContent()) {
                private long read;

                @Override
                public int read() throws IOException {
                    int b = reported(() -> super.read());
                    count(b < 0 ? 0 : 1);
                    return b;
                }

                @Override
                public int read(byte[] buffer, int offset, int length) throws IOException {
                    int n = reported(() -> super.read(buffer, offset, length));
                    count(Math.max(n, 0));
                    return n;
                }

                private int reported(Read read) throws IOException {
                    try {
                        return read.next();
                    } catch (IOException failure) {
                        budget.unreachable(failure);
                        throw failure;
                    }
                }

                private void count(int n) throws IOException {
                    read += n;
                    if (read > MAX_ANSWER_BYTES) {
                        throw new AnswerTooLargeException();
                    }
                }
            };
        }

        @Override
        public void writeTo(OutputStream out) throws IOException {
            try (InputStream in = getContent()) {
                in.transferTo(out);
            }
        }

        @Override
        public boolean isStreaming() {
            return true;
        }

        private interface Read {
            int next() throws IOException;
        }
    }
}
