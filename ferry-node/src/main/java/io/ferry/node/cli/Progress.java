package io.ferry.node.cli;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * A progress bar on stderr with rate and ETA when stderr is a terminal; nothing otherwise, so logs
 * and CI output stay clean. Not thread-safe.
 */
final class Progress implements AutoCloseable {
  private final ProgressBar bar;

  Progress(String task, long total, String unit) {
    boolean interactive = System.console() != null && System.getenv("CI") == null;
    bar =
        interactive
            ? new ProgressBarBuilder()
                .setTaskName(task)
                .setInitialMax(total)
                .setUnit(" " + unit, 1)
                .showSpeed()
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setMaxRenderedLength(100)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .setEtaFunction(state -> java.util.Optional.<Duration>empty())
                .build()
            : null;
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
