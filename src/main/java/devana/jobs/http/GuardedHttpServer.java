package devana.jobs.http;

import devana.jobs.text.RepeatedFailures;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.net.BindException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel's Vert.x HTTP server (the one camel-platform-http-main starts for {@code camel.server.*}), with the
 * server options Camel does not expose: connections that stay idle, or open too many, are closed; HTTP/2
 * upgrades and compression are off; headers and the request line keep Vert.x's bounds. Its router gets the
 * {@link RequestGuard} as first handler. The routes, the management endpoints (/observe/*) that share its
 * port, and everything else are Camel's own. Camel Main creates it before the app's beans exist: what the
 * guard needs ({@link HttpLimits}, {@link RawRequests}, the metrics, {@link RepeatedFailures}) is looked up in
 * the registry when the server starts.
 */
public final class GuardedHttpServer extends VertxPlatformHttpServer {

    private static final Logger LOG = LoggerFactory.getLogger("devana.jobs.http");

    private final VertxPlatformHttpServerConfiguration configuration;
    private volatile HttpServer server;

    GuardedHttpServer(VertxPlatformHttpServerConfiguration configuration) {
        super(configuration);
        this.configuration = configuration;
    }

    @Override
    protected void startServer() throws Exception {
        HttpLimits limits = bean(HttpLimits.class);
        RawRequests raw = bean(RawRequests.class);
        MeterRegistry metrics = getCamelContext().getRegistry().lookupByNameAndType("metricsRegistry", MeterRegistry.class);
        RepeatedFailures repeats = bean(RepeatedFailures.class);
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getCamelContext(),
                VertxPlatformHttpRouter.getRouterNameFromPort(configuration.getPort()));
        router.route().order(Integer.MIN_VALUE).handler(new RequestGuard(getVertx(), limits, raw, metrics, repeats));
        HttpServerOptions options = new HttpServerOptions()
                .setIdleTimeout((int) limits.idleTimeout().toMillis())
                .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
                .setMaxHeaderSize(HttpServerOptions.DEFAULT_MAX_HEADER_SIZE)
                .setMaxInitialLineLength(HttpServerOptions.DEFAULT_MAX_INITIAL_LINE_LENGTH)
                .setHttp2ClearTextEnabled(false)
                .setCompressionSupported(false)
                .setDecompressionSupported(false);
        HttpServer created = getVertx().createHttpServer(options);
        AtomicInteger open = new AtomicInteger();
        created.connectionHandler(connection -> {
            if (open.incrementAndGet() > limits.maxConnections()) {
                metrics.counter("devana.http.refused", "reason", "connections").increment();
                String repeat = repeats.say("http-connections");
                if (repeat != null) {
                    LOG.warn("connection refused: {} are open already (jobs.http.max-connections){}",
                            limits.maxConnections(), repeat);
                }
                connection.close();
            }
            connection.closeHandler(closed -> open.decrementAndGet());
        });
        created.requestHandler(router);
        try {
            server = created.listen(configuration.getBindPort(), configuration.getBindHost())
                    .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof BindException) {
                throw new PortInUseException("port " + configuration.getBindPort() + " on "
                        + configuration.getBindHost() + " is in use: stop what listens there, or set camel.server.port "
                        + "(CAMEL_SERVER_PORT) to a free port");
            }
            throw e;
        }
        LOG.info("HTTP server listening on {}:{} (webhook, dashboard, /api, /observe)", configuration.getBindHost(),
                server.actualPort());
    }

    private <T> T bean(Class<T> type) {
        T bean = getCamelContext().getRegistry().findSingleByType(type);
        if (bean == null) {
            throw new IllegalStateException("the HTTP server needs a " + type.getSimpleName() + " in the registry");
        }
        return bean;
    }

    @Override
    protected void stopServer() {
        HttpServer running = server;
        server = null;
        if (running != null) {
            try {
                running.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("HTTP server did not close cleanly", e);
            }
        }
    }

    /** The server's port is taken: the message says which and which setting moves it. */
    public static final class PortInUseException extends IllegalStateException {
        PortInUseException(String message) {
            super(message);
        }
    }

    /** Vert.x is this server's own (the app binds none in the registry): it goes with it. */
    @Override
    protected void stopVertx() {
        if (getVertx() != null) {
            try {
                getVertx().close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
            } catch (Exception e) {
                LOG.debug("Vert.x did not close cleanly", e);
            }
        }
    }

    @Override
    public HttpServer getServer() {
        return server;
    }

    @Override
    public int getPort() {
        HttpServer running = server;
        return running != null ? running.actualPort() : configuration.getBindPort();
    }
}
