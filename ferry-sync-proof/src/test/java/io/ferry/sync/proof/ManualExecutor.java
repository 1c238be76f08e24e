package io.ferry.sync.proof;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;

/** An executor that holds tasks until the test runs them. Thread-safe. */
final class ManualExecutor implements Executor {
  private final BlockingQueue<Runnable> tasks = new LinkedBlockingQueue<>();

  @Override
  public void execute(Runnable task) {
    tasks.add(task);
  }

  int queued() {
    return tasks.size();
  }

  /** Runs every task queued now, on the calling thread; returns how many. */
  int runAll() {
    int n = 0;
    for (Runnable r; (r = tasks.poll()) != null; n++) {
      r.run();
    }
    return n;
  }
}
