package devana.jobs.text;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.SocketTimeoutException;
import org.junit.jupiter.api.Test;

/** How text from outside, and errors that quote it, reach a line: one line, no control character, no secret. */
class OneLineTest {

    @Test
    void escapes_every_control_character_that_could_forge_a_line_or_drive_a_terminal() {
        String hostile = "a\nb\r\tc\u0000\u0007\u001b[31m\u001b]0;title\u0007\u009b\u202e\u2028\u2066\uFEFFé中";

        String line = OneLine.printable(hostile, 200);

        assertThat(line).isEqualTo("a\\nb\\r\\tc\\u0000\\u0007\\u001b[31m\\u001b]0;title\\u0007\\u009b\\u202e\\u2028\\u2066\\ufeffé中");
        assertThat(line.chars()).allMatch(c -> c >= 0x20 && c != 0x7f);
    }

    @Test
    void cuts_long_text_and_says_how_long_it_was() {
        assertThat(OneLine.printable("x".repeat(1000), 10)).isEqualTo("xxxxxxxxxx...(1000 chars)");
    }

    @Test
    void masks_a_remembered_secret_as_typed_and_percent_encoded_wherever_it_appears() {
        Secrets.remember("s3cr3t/key+with=chars");

        assertThat(OneLine.printable("GET /v1/documents/s3cr3t/key+with=chars/reextract", 200))
                .isEqualTo("GET /v1/documents/****/reextract");
        assertThat(OneLine.of(new IOException("no route to http://h/x/s3cr3t%2Fkey%2Bwith%3Dchars/y")))
                .isEqualTo("IOException: no route to http://h/x/****/y");
        assertThat(Secrets.mask(null)).isNull();
    }

    @Test
    void says_a_failure_by_its_innermost_cause_or_as_a_timeout() {
        assertThat(OneLine.of(new RuntimeException("outer", new IllegalStateException("inner\ncause")))).isEqualTo("IllegalStateException: inner\\ncause");
        assertThat(OneLine.of(new RuntimeException(new SocketTimeoutException("Read timed out")))).isEqualTo("timed out");
        assertThat(OneLine.of(null)).isEqualTo("unknown failure");
    }
}
