package devana.jobs.wait;

import java.io.PrintStream;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * How the wait command shows where a job stands: on a terminal, a progress bar redrawn in place; otherwise
 * (a CI log, a pipe) a time-stamped line each time the state changes.
 */
final class ProgressLine {

    private static final int BAR_CELLS = 20;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    private final PrintStream out;
    private final boolean terminal;
    private final Clock clock;
    private String shown = "";
    private int barWidth;

    ProgressLine(PrintStream out, boolean terminal, Clock clock) {
        this.out = out;
        this.terminal = terminal;
        this.clock = clock;
    }

    /** Shows the state: redraws the bar on a terminal, prints a line when it changed otherwise. */
    void show(String text, Integer progress) {
        if (terminal) {
            int percent = progress == null ? 0 : progress;
            int filled = percent / (100 / BAR_CELLS);
            String bar = "\r[" + "#".repeat(filled) + "-".repeat(BAR_CELLS - filled) + "] " + text;
            out.print(bar + " ".repeat(Math.max(0, barWidth - bar.length())));
            out.flush();
            barWidth = bar.length();
        } else if (!Objects.equals(text, shown)) {
            out.println(time(clock.instant()) + " " + text);
        }
        shown = text;
    }

    /** A message beside the state (a retry, a pause): on its own line. */
    void say(String text) {
        finishLine();
        out.println(time(clock.instant()) + " " + text);
        shown = "";
    }

    /** Ends the bar's line, so that what follows starts on a line of its own. */
    void finishLine() {
        if (terminal && barWidth > 0) {
            out.println();
            barWidth = 0;
        }
    }

    /** The time of day as the lines show it. */
    static String time(Instant instant) {
        return LocalTime.ofInstant(instant, ZoneId.systemDefault()).format(CLOCK);
    }
}
