package io.ferry.node.cli;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr with count and rate when stderr is a terminal; nothing otherwise, so
 * logs and CI output stay clean. Not thread-safe.
 */
final class Progress implements AutoCloseable {
  private final ProgressBar bar;

  Progress(String task, long total, String unit) {
    this(task, total, unit, 1);
  }

  /**
   * @param total the count to reach, or -1 if not known
   * @param unitSize how many counted things make one {@code unit} (bytes in a MiB)
   */
  Progress(String task, long total, String unit, long unitSize) {
    bar =
        interactive()
            ? new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" " + unit, unitSize)
                .showSpeed()
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setMaxRenderedLength(100)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setEtaFunction(state -> java.util.Optional.<Duration>empty())
                .build()
            : null;
  }

  /** Whether progress bars are drawn: stderr is a terminal and this is not CI. */
  static boolean interactive() {
    return isTerminal() && System.getenv("CI") == null;
  }

  /**
   * True if stderr's console is a terminal. From JDK 22, System.console() exists even when the
   * streams are redirected; Console.isTerminal() (JDK 22+, looked up so this compiles for 21) tells
   * the difference.
   */
  private static boolean isTerminal() {
    java.io.Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
    } catch (ReflectiveOperationException e) {
      return true; // JDK 21: a console exists only for a terminal
    }
  }

  /** Moves the bar to {@code n}. */
  void stepTo(long n) {
    if (bar != null) {
      bar.stepTo(n);
    }
  }

  void step(long n) {
    if (bar != null) {
      bar.stepBy(n);
    }
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
