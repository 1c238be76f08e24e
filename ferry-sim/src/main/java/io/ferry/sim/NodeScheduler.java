package io.ferry.sim;

import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.Clock;
import io.ferry.core.runtime.Scheduler;
import java.time.Duration;
import org.slf4j.MDC;

/**
 * The scheduler one incarnation of a node sees: the simulation's, with every task tagged by the
 * incarnation. Once the node crashes or stops, its tasks still due are dropped when they come up,
 * so no timer fires into a dead instance.
 */
final class NodeScheduler implements Scheduler {
  private final Simulation sim;
  private final String node;
  private boolean alive = true;

  NodeScheduler(Simulation sim, String node) {
    this.sim = sim;
    this.node = node;
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    return sim.schedule(
        delay,
        () -> {
          if (alive) {
            run(task);
          }
        });
  }

  private void run(Runnable task) {
    // Log lines of every node go to one place: say whose they are.
    String outer = MDC.get("node");
    MDC.put("node", node);
    try {
      task.run();
    } finally {
      if (outer == null) {
        MDC.remove("node");
      } else {
        MDC.put("node", outer);
      }
    }
  }

  /**
   * Runs {@code task} at once: the simulation's one thread is the caller, so no task of the node is
   * in progress (waiting for it to come up would wait forever: the node stopping gracefully).
   */
  @Override
  public void runAndWait(Runnable task, Duration timeout) {
    if (alive) {
      run(task);
    }
  }

  @Override
  public Clock clock() {
    return sim.clock();
  }

  void kill() {
    alive = false;
  }
}
