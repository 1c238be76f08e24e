package io.ferry.core.log;

import io.ferry.core.runtime.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;

/**
 * Log lines that peers can cause, bounded so a flood cannot fill the disk: at most {@code maxLines}
 * lines per key in each {@code interval}. Lines over that are counted, and the next line let
 * through for the key ends with how many similar lines were left out.
 *
 * <p>A key names a kind of event ("TLS handshake failed", "refused inbound connection"), never a
 * peer or an address: a flood from many addresses must still share one budget. At most {@link
 * #MAX_KEYS} keys are tracked; beyond that, new keys share one.
 *
 * <p>Time comes from the injected {@link Clock}, so the windows move in virtual time under the
 * simulator. Thread-safe.
 */
public final class RateLimitedLog {
  /** Lines per key per interval by default: enough to see what is happening and who does it. */
  public static final int DEFAULT_LINES = 10;

  /** The default interval. */
  public static final Duration DEFAULT_INTERVAL = Duration.ofMinutes(1);

  /** Keys tracked at once. */
  public static final int MAX_KEYS = 256;

  static final String OVERFLOW_KEY = "(other)";

  private final Logger log;
  private final Clock clock;
  private final int maxLines;
  private final long intervalNanos;
  private final Map<String, Window> windows = new LinkedHashMap<>(); // guarded by this

  private static final class Window {
    long startNanos;
    int lines;
    long suppressed;
  }

  public RateLimitedLog(Logger log, Clock clock) {
    this(log, clock, DEFAULT_LINES, DEFAULT_INTERVAL);
  }

  public RateLimitedLog(Logger log, Clock clock, int maxLines, Duration interval) {
    if (maxLines < 1 || interval.isNegative() || interval.isZero()) {
      throw new IllegalArgumentException("need maxLines >= 1 and a positive interval");
    }
    this.log = log;
    this.clock = clock;
    this.maxLines = maxLines;
    this.intervalNanos = interval.toNanos();
  }

  /** The logger lines go to. */
  public Logger logger() {
    return log;
  }

  /** Logs at WARN unless {@code key} is over its budget. Arguments are SLF4J's. */
  public void warn(String key, String format, Object... args) {
    if (log.isWarnEnabled()) {
      long suppressed = admit(key);
      if (suppressed >= 0) {
        log.warn(withSummary(format, suppressed), withSummary(args, suppressed));
      }
    }
  }

  /** Logs at INFO unless {@code key} is over its budget. Arguments are SLF4J's. */
  public void info(String key, String format, Object... args) {
    if (log.isInfoEnabled()) {
      long suppressed = admit(key);
      if (suppressed >= 0) {
        log.info(withSummary(format, suppressed), withSummary(args, suppressed));
      }
    }
  }

  /**
   * Takes one line from {@code key}'s budget.
   *
   * @return -1 if the line must be left out; otherwise how many lines of this key were left out
   *     since the last one let through
   */
  synchronized long admit(String key) {
    long now = clock.nanos();
    Window w = windows.get(key);
    if (w == null) {
      w = newWindow(key, now);
    }
    if (now - w.startNanos >= intervalNanos) {
      w.startNanos = now;
      w.lines = 0;
    }
    if (w.lines >= maxLines) {
      w.suppressed++;
      return -1;
    }
    w.lines++;
    long suppressed = w.suppressed;
    w.suppressed = 0;
    return suppressed;
  }

  private Window newWindow(String key, long now) {
    if (windows.size() >= MAX_KEYS) {
      // Forget keys whose window is over and that owe no summary, oldest first.
      windows
          .values()
          .removeIf(old -> now - old.startNanos >= intervalNanos && old.suppressed == 0);
    }
    String tracked = key;
    if (windows.size() >= MAX_KEYS) {
      tracked = OVERFLOW_KEY;
      Window shared = windows.get(OVERFLOW_KEY);
      if (shared != null) {
        return shared;
      }
      windows.remove(windows.keySet().iterator().next());
    }
    Window w = new Window();
    w.startNanos = now;
    windows.put(tracked, w);
    return w;
  }

  private static String withSummary(String format, long suppressed) {
    return suppressed == 0 ? format : format + " ({} similar lines suppressed before this one)";
  }

  /** Appends the count as the last placeholder argument, before a trailing exception if any. */
  private static Object[] withSummary(Object[] args, long suppressed) {
    if (suppressed == 0) {
      return args;
    }
    Object[] out = Arrays.copyOf(args, args.length + 1);
    int at = args.length;
    if (at > 0 && args[at - 1] instanceof Throwable t) {
      out[at - 1] = suppressed;
      out[at] = t;
    } else {
      out[at] = suppressed;
    }
    return out;
  }
}
