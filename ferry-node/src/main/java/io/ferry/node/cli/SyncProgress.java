package io.ferry.node.cli;

import io.ferry.sync.proof.client.SyncStats;
import java.time.Duration;
import java.util.Optional;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * The sync's progress bar on stderr (only when it is a terminal): the share of the key space done,
 * with keys, megabytes, ranges, key rate and an ETA from the share's rate. Not thread-safe.
 */
final class SyncProgress implements AutoCloseable {
  private static final int SCALE = 1000;
  private final ProgressBar bar;
  private final long startNanos = System.nanoTime();

  SyncProgress() {
    bar =
        Progress.interactive()
            ? new ProgressBarBuilder()
                .setTaskName("sync")
                .setInitialMax(SCALE)
                .setStyle(ProgressBarStyle.ASCII)
                .setUpdateIntervalMillis(200)
                .setMaxRenderedLength(120)
                .hideEta()
                .setConsumer(new ConsoleProgressBarConsumer(System.err))
                .build()
            : null;
  }

  void show(SyncStats s) {
    if (bar == null) {
      return;
    }
    double seconds = Math.max(1e-3, (System.nanoTime() - startNanos) / 1e9);
    long done = Math.round(s.covered() * SCALE);
    bar.stepTo(done);
    Optional<Duration> eta =
        s.covered() > 0.01
            ? Optional.of(Duration.ofSeconds((long) (seconds * (1 - s.covered()) / s.covered())))
            : Optional.empty();
    bar.setExtraMessage(
        String.format(
            " %,d keys %,.1f MB %d ranges %,.0f keys/s%s",
            s.keys(),
            s.bytes() / 1e6,
            s.rangesDone(),
            s.keys() / seconds,
            eta.map(d -> " ETA " + d.toSeconds() + "s").orElse("")));
  }

  @Override
  public void close() {
    if (bar != null) {
      bar.close();
    }
  }
}
