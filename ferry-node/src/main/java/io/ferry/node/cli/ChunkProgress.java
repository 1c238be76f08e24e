package io.ferry.node.cli;

import io.ferry.sync.snapshot.client.Syncer;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The chunk sync's progress bar on stderr (only when it is a terminal): chunks applied of the
 * snapshot's, megabytes fetched and the rate. Not thread-safe.
 */
final class ChunkProgress implements AutoCloseable {
  private final ProgressBar bar;
  private final long startNanos = System.nanoTime();

  ChunkProgress() {
    bar =
        Progress.interactive()
            ? new ProgressBarBuilder()
                .setTaskName("state sync")
                .setInitialMax(1)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setMaxRenderedLength(120)
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build()
            : null;
  }

  void show(Syncer.Progress p) {
    if (bar == null) {
      return;
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    if (p.chunks() > 0) {
      bar.maxHint(p.chunks());
      bar.stepTo(p.applied());
    }
    bar.setExtraMessage(
        String.format(
            " %s, %,.1f MB fetched, %,.1f MB/s",
            p.phase(), p.bytesFetched() / 1e6, p.bytesFetched() / 1e6 / seconds));
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
