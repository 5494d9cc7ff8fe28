package devana.jobs.http;

import org.apache.camel.CamelContext;
import org.apache.camel.Service;
import org.apache.camel.component.platform.http.main.DefaultMainHttpServerFactory;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.apache.camel.main.HttpManagementServerConfigurationProperties;
import org.apache.camel.main.HttpServerConfigurationProperties;
import org.apache.camel.main.MainHttpServerFactory;

/**
 * What Camel Main starts for {@code camel.server.*} (it looks in the registry before its default factory;
 * DevanaJobs binds this one before Camel Main configures anything): the {@link GuardedHttpServer} with the
 * same host, port and path. The management endpoints ({@code camel.management.*}, /observe/*) are Camel's
 * own; on the same port they share this server.
 */
public final class GuardedHttpServerFactory implements MainHttpServerFactory {

    @Override
    public Service newHttpServer(CamelContext camelContext, HttpServerConfigurationProperties properties) {
        VertxPlatformHttpServerConfiguration configuration = new VertxPlatformHttpServerConfiguration();
        configuration.setBindHost(properties.getHost());
        configuration.setBindPort(properties.getPort());
        configuration.setPath(properties.getPath());
        // no route but the webhook takes a body, and the webhook takes at most this much
        configuration.setMaxBodySize((long) HttpLimits.MAX_BODY_BYTES);
        GuardedHttpServer server = new GuardedHttpServer(configuration);
        server.setCamelContext(camelContext);
        return server;
    }

    @Override
    public Service newHttpManagementServer(CamelContext camelContext, HttpManagementServerConfigurationProperties properties) {
        DefaultMainHttpServerFactory defaults = new DefaultMainHttpServerFactory();
        defaults.setCamelContext(camelContext);
        return defaults.newHttpManagementServer(camelContext, properties);
    }
}
