package io.ferry.net.tcp;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** Collects the log lines of some classes, so tests can assert that a failure was logged. */
final class LogCapture implements AutoCloseable {
  private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
  private final List<Logger> loggers;

  LogCapture(Class<?>... classes) {
    appender.start();
    loggers =
        java.util.Arrays.stream(classes).map(c -> (Logger) LoggerFactory.getLogger(c)).toList();
    loggers.forEach(l -> l.addAppender(appender));
  }

  List<String> lines() {
    synchronized (appender) { // AppenderBase appends holding the appender's lock
      return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }
  }

  boolean contains(String fragment) {
    return lines().stream().anyMatch(l -> l.contains(fragment));
  }

  @Override
  public void close() {
    loggers.forEach(l -> l.detachAppender(appender));
  }
}
