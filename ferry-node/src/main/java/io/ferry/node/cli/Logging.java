package io.ferry.node.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.filter.ThresholdFilter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.Appender;
import ch.qos.logback.core.rolling.RollingFileAppender;
import ch.qos.logback.core.rolling.SizeAndTimeBasedRollingPolicy;
import ch.qos.logback.core.util.FileSize;
import java.nio.file.Path;
import org.slf4j.LoggerFactory;

/**
 * Adjusts the Logback setup of {@code logback.xml} from the command line: quiet by default
 * (warnings to stderr), {@code -v} for debug, and a rolling log file under a node's data directory.
 * Called from the CLI thread before any work starts.
 */
final class Logging {
  private Logging() {}

  static void setVerbose(boolean verbose) {
    root().setLevel(verbose ? Level.DEBUG : Level.WARN);
  }

  /**
   * How much of the log directory the files may take.
   *
   * @param maxFile a file is rolled when it reaches this size (and at midnight)
   * @param totalCap rolled files together; the oldest are deleted past it
   * @param maxDays days of rolled files kept
   */
  record Retention(FileSize maxFile, FileSize totalCap, int maxDays) {
    static final Retention DEFAULT =
        new Retention(FileSize.valueOf("64MB"), FileSize.valueOf("512MB"), 7);
  }

  /**
   * Sends Ferry's INFO (or DEBUG with -v) log lines to {@code dir/ferry.log}, within {@link
   * Retention#DEFAULT}; the console keeps showing warnings only unless -v was given.
   */
  static Path logToFile(Path dir, boolean verbose) {
    return logToFile(dir, verbose, Retention.DEFAULT);
  }

  static Path logToFile(Path dir, boolean verbose, Retention retention) {
    LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
    Path file = dir.resolve("ferry.log");

    PatternLayoutEncoder encoder = new PatternLayoutEncoder();
    encoder.setContext(ctx);
    encoder.setPattern("%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level [%thread] %logger{36} - %msg%n");
    encoder.start();

    RollingFileAppender<ILoggingEvent> appender = new RollingFileAppender<>();
    appender.setContext(ctx);
    appender.setName("FILE");
    appender.setFile(file.toString());
    appender.setEncoder(encoder);
    SizeAndTimeBasedRollingPolicy<ILoggingEvent> policy = new SizeAndTimeBasedRollingPolicy<>();
    policy.setContext(ctx);
    policy.setParent(appender);
    policy.setFileNamePattern(dir.resolve("ferry.%d{yyyy-MM-dd}.%i.log").toString());
    policy.setMaxFileSize(retention.maxFile());
    policy.setMaxHistory(retention.maxDays());
    // Without a total cap, files of one day are never deleted: a flood of lines filled disks.
    policy.setTotalSizeCap(retention.totalCap());
    policy.setCleanHistoryOnStart(true);
    policy.start();
    appender.setRollingPolicy(policy);
    appender.start();

    Logger root = root();
    Appender<ILoggingEvent> console = root.getAppender("STDERR");
    if (console != null) {
      // Replace, never stack, the console filter: a later -v run in the same JVM must see debug.
      console.clearAllFilters();
      if (!verbose) {
        ThresholdFilter warnOnly = new ThresholdFilter();
        warnOnly.setLevel("WARN");
        warnOnly.start();
        console.addFilter(warnOnly);
      }
    }
    if (!verbose) {
      logger("io.ferry").setLevel(Level.INFO);
    }
    // One log file per process: a second call (an embedder running several nodes in turn) must
    // not leave the earlier node's file attached and still collecting this node's lines.
    Appender<ILoggingEvent> previous = root.getAppender("FILE");
    if (previous != null) {
      root.detachAppender(previous);
      previous.stop();
    }
    root.addAppender(appender);
    return file;
  }

  private static Logger root() {
    return logger(org.slf4j.Logger.ROOT_LOGGER_NAME);
  }

  private static Logger logger(String name) {
    return (Logger) LoggerFactory.getLogger(name);
  }
}
