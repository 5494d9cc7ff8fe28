package devana.jobs.services;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class ServiceTest {

    @Test
    void a_closed_port_skips_the_test_with_the_reason_or_fails_it_when_services_are_required() throws Exception {
        int closed;
        try (ServerSocket socket = new ServerSocket(0)) {
            closed = socket.getLocalPort();
        }
        boolean reachable = Service.listening(Service.HOST, closed);
        assertThat(reachable).isFalse();

        assertThatThrownBy(() -> Service.check("PostgreSQL", Service.HOST, closed, reachable, false))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("PostgreSQL not reachable on 127.0.0.1:" + closed + " (set REQUIRE_SERVICES=1 to fail instead)");
        assertThatThrownBy(() -> Service.check("PostgreSQL", Service.HOST, closed, reachable, true))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("PostgreSQL not reachable on 127.0.0.1:" + closed + " and REQUIRE_SERVICES=1 is set");
    }

    @Test
    void a_listening_port_lets_the_test_run() throws Exception {
        try (ServerSocket socket = new ServerSocket(0)) {
            boolean reachable = Service.listening(Service.HOST, socket.getLocalPort());
            assertThat(reachable).isTrue();
            assertThatCode(() -> Service.check("NATS", Service.HOST, socket.getLocalPort(), reachable, true)).doesNotThrowAnyException();
        }
    }
}
