package io.ferry.sync.snapshot;

import java.util.ArrayDeque;
import java.util.concurrent.Executor;

/**
 * Runs tasks at once on the caller's thread, in order, until paused; then holds them until {@link
 * #resume}, so that in virtual time an application call or a chunk load can take as long as a test
 * wants. Tasks submitted while held ones drain queue behind them, so the order is always the order
 * of submission. Not thread-safe: the tests' single thread only.
 */
final class PausableExecutor implements Executor {
  private final ArrayDeque<Runnable> held = new ArrayDeque<>();
  private boolean paused;
  private boolean draining;

  @Override
  public void execute(Runnable task) {
    if (paused || draining) {
      held.add(task);
      return;
    }
    task.run();
  }

  void pause() {
    paused = true;
  }

  /** Runs every held task, and those they submit, in order. */
  void resume() {
    paused = false;
    if (draining) {
      return;
    }
    draining = true;
    try {
      for (Runnable r; !paused && (r = held.poll()) != null; ) {
        r.run();
      }
    } finally {
      draining = false;
    }
  }

  boolean paused() {
    return paused;
  }

  /** Tasks held now. */
  int held() {
    return held.size();
  }
}
