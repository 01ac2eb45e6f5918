package dev.snakepit.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Captures what is logged to one logger and its descendants, and keeps it off the console while
 * attached. Closing restores the logger's level and additivity.
 */
public final class LogCapture implements AutoCloseable {
  private final Logger logger;
  private final Level previousLevel;
  private final boolean previousAdditive;
  private final Appender appender = new Appender();

  private LogCapture(String name, Level level) {
    this.logger = (Logger) LoggerFactory.getLogger(name);
    this.previousLevel = logger.getLevel();
    this.previousAdditive = logger.isAdditive();
    appender.setContext(logger.getLoggerContext());
    appender.setName("capture-" + name);
    appender.start();
    logger.addAppender(appender);
    logger.setLevel(level);
    logger.setAdditive(false);
  }

  /** Captures events of {@code loggerName} and its descendants at {@code level} and above. */
  public static LogCapture attach(String loggerName, Level level) {
    return new LogCapture(loggerName, level);
  }

  /** The events captured so far, oldest first. */
  public List<ILoggingEvent> events() {
    synchronized (appender.events) {
      return new ArrayList<>(appender.events);
    }
  }

  @Override
  public void close() {
    logger.detachAppender(appender);
    appender.stop();
    logger.setLevel(previousLevel);
    logger.setAdditive(previousAdditive);
  }

  private static final class Appender extends AppenderBase<ILoggingEvent> {
    /** Guarded by itself. */
    final List<ILoggingEvent> events = new ArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
      // Logback reads the MDC and the thread name lazily; fix them now, on the logging thread.
      event.prepareForDeferredProcessing();
      synchronized (events) {
        events.add(event);
      }
    }
  }
}
