package io.ferry.node.demo;

import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * One progress bar at a time on stderr, for the demo's phases: drawn only when asked to (a
 * terminal), silent otherwise. Not thread-safe.
 */
final class StatusBar {
  private final boolean enabled;
  private ProgressBar bar;
  private String task;

  StatusBar(boolean enabled) {
    this.enabled = enabled;
  }

  void show(String task, long done, long total, String unit) {
    show(task, done, total, unit, 1);
  }

  void show(String task, long done, long total, String unit, long scale) {
    if (!enabled) {
      return;
    }
    if (bar == null || !task.equals(this.task)) {
      done();
      this.task = task;
      bar =
          new ProgressBarBuilder()
              .setTaskName(task)
              .setInitialMax(Math.max(1, total))
              .setUnit(" " + unit, scale)
              .setStyle(ProgressBarStyle.ASCII)
              .setUpdateIntervalMillis(200)
              .setMaxRenderedLength(100)
              .showSpeed()
              .setConsumer(new ConsoleProgressBarConsumer(System.err))
              .build();
    }
    bar.maxHint(Math.max(1, total));
    bar.stepTo(done);
  }

  void done() {
    if (bar != null) {
      bar.close();
      bar = null;
      task = null;
    }
  }
}
