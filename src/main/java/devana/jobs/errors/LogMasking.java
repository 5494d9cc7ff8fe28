package devana.jobs.errors;

import devana.jobs.text.Secrets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.Appender;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.rewrite.RewriteAppender;
import org.apache.logging.log4j.core.appender.rewrite.RewritePolicy;
import org.apache.logging.log4j.core.config.AppenderRef;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.LoggerConfig;
import org.apache.logging.log4j.core.impl.Log4jLogEvent;
import org.apache.logging.log4j.message.SimpleMessage;

/**
 * The last guard of {@link Secrets}: every log line, whoever writes it (this app, Camel, the HTTP client,
 * a driver), passes a Log4j rewrite step that masks the remembered secrets in its message and in the
 * messages of its exception and causes, before any appender prints it. Installed once the secrets are known;
 * installing it again changes nothing.
 */
public final class LogMasking {

    static final String PREFIX = "masked-";

    private LogMasking() {
    }

    /** Puts a masking step in front of every appender the loggers write to. */
    public static synchronized void install() {
        if (!(LogManager.getContext(false) instanceof LoggerContext context)) {
            return;
        }
        Configuration configuration = context.getConfiguration();
        List<LoggerConfig> loggers = new ArrayList<>(configuration.getLoggers().values());
        if (!loggers.contains(configuration.getRootLogger())) {
            loggers.add(configuration.getRootLogger());
        }
        for (LoggerConfig logger : loggers) {
            for (Map.Entry<String, Appender> entry : Map.copyOf(logger.getAppenders()).entrySet()) {
                if (entry.getKey().startsWith(PREFIX)) {
                    continue;
                }
                String name = PREFIX + entry.getKey();
                Appender masked = configuration.getAppender(name);
                if (masked == null) {
                    masked = RewriteAppender.createAppender(name, "true",
                            new AppenderRef[] {AppenderRef.createAppenderRef(entry.getKey(), null, null)},
                            configuration, new Masking(), null);
                    masked.start();
                    configuration.addAppender(masked);
                }
                logger.removeAppender(entry.getKey());
                logger.addAppender(masked, null, null);
            }
        }
        context.updateLoggers();
    }

    /** Masks the message and the exception of an event; an event without a secret passes as it is. */
    static final class Masking implements RewritePolicy {

        @Override
        public LogEvent rewrite(LogEvent event) {
            String message = event.getMessage() == null ? null : event.getMessage().getFormattedMessage();
            String maskedMessage = Secrets.mask(message);
            Throwable thrown = event.getThrown();
            Throwable maskedThrown = masked(thrown, 0);
            if (maskedThrown == thrown && (message == null || message.equals(maskedMessage))) {
                return event;
            }
            return new Log4jLogEvent.Builder(event)
                    .setMessage(new SimpleMessage(maskedMessage))
                    .setThrown(maskedThrown)
                    .build();
        }

        private static Throwable masked(Throwable thrown, int depth) {
            if (thrown == null || depth > 20) {
                return thrown;
            }
            Throwable cause = thrown.getCause() == thrown ? null : thrown.getCause();
            Throwable maskedCause = masked(cause, depth + 1);
            String message = thrown.getMessage();
            String maskedMessage = Secrets.mask(message);
            if (maskedCause == cause && (message == null || message.equals(maskedMessage))) {
                return thrown;
            }
            return new MaskedThrowable(thrown, maskedMessage, maskedCause);
        }
    }

    /** An exception as it is, but for its message (and its causes'), which had a secret in it. */
    static final class MaskedThrowable extends Throwable {

        private final String kind;

        MaskedThrowable(Throwable original, String message, Throwable cause) {
            super(message, cause, false, true);
            this.kind = original.getClass().getName();
            setStackTrace(original.getStackTrace());
        }

        @Override
        public String toString() {
            String message = getLocalizedMessage();
            return message == null ? kind : kind + ": " + message;
        }
    }
}
