package devana.jobs.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine;

/**
 * How a duration is written on a command line: a whole number and a unit, {@code 500ms}, {@code 90s},
 * {@code 5m}, {@code 1h}, or plain seconds ({@code 300}). The one reading of it, for every command.
 */
public final class DurationText implements CommandLine.ITypeConverter<Duration> {

    private static final Pattern DURATION = Pattern.compile("(\\d{1,9})(ms|s|m|h)?");
    private static final String EXPECTED = "a duration such as 90s, 5m, 1h or 500ms";

    /** The duration, or IllegalArgumentException saying what is expected. */
    public static Duration parse(String text) {
        Matcher m = DURATION.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(EXPECTED + " is expected, got '" + text + "'");
        }
        long amount = Long.parseLong(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        return switch (unit) {
            case "ms" -> Duration.ofMillis(amount);
            case "m" -> Duration.ofMinutes(amount);
            case "h" -> Duration.ofHours(amount);
            default -> Duration.ofSeconds(amount);
        };
    }

    /** For picocli: the message says what the value must be, so that a command can prefix the option's name. */
    @Override
    public Duration convert(String value) {
        try {
            return parse(value);
        } catch (IllegalArgumentException e) {
            throw new CommandLine.TypeConversionException(EXPECTED + ", got '" + value + "'");
        }
    }
}
