package devana.jobs;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/**
 * Every log line the app in this JVM writes while open, as the console would show it (the message, then
 * the stack trace of an exception, one line each), to assert on what an operator would read.
 */
public final class LogCapture implements AutoCloseable {

    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final AbstractAppender appender;

    public LogCapture() {
        appender = new AbstractAppender("capture-" + UUID.randomUUID(), null, null, true, Property.EMPTY_ARRAY) {
            @Override
            public void append(LogEvent event) {
                String line = event.getLevel() + " " + event.getLoggerName() + " " + event.getMessage().getFormattedMessage();
                lines.addAll(List.of(line.split("\n", -1)));
                if (event.getThrown() != null) {
                    StringWriter trace = new StringWriter();
                    event.getThrown().printStackTrace(new PrintWriter(trace));
                    lines.addAll(List.of(trace.toString().split("\n")));
                }
            }
        };
        appender.start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        // the root's appenders get every event of the loggers below it (none of them turns additivity off);
        // known to the configuration by name, so that the app's log masking, installed after, wraps it too
        configuration.addAppender(appender);
        configuration.getRootLogger().addAppender(appender, null, null);
        context.updateLoggers();
    }

    public List<String> lines() {
        return List.copyOf(lines);
    }

    /** All lines as one text. */
    public String text() {
        return String.join("\n", lines);
    }

    /** How many lines contain the text. */
    public long count(String text) {
        return lines.stream().filter(line -> line.contains(text)).count();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        context.getConfiguration().getRootLogger().removeAppender(appender.getName());
        context.getConfiguration().getRootLogger().removeAppender("masked-" + appender.getName());
        context.updateLoggers();
        appender.stop();
    }
}
