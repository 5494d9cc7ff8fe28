package devana.jobs.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.Version;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** The jar ships one Netty: modules of two 4.1.x releases side by side fail in ways no test predicts. */
class OneNettyTest {

    @Test
    void every_netty_module_on_the_classpath_is_of_the_same_release() {
        Map<String, String> versions = new TreeMap<>();
        Version.identify().forEach((module, version) -> versions.put(module, version.artifactVersion()));

        assertThat(versions).as("netty modules found").containsKeys("netty-codec-http", "netty-codec-http2", "netty-handler");
        assertThat(versions.values()).as("releases of %s", versions).containsOnly(versions.get("netty-codec-http"));
    }
}
