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
            // Log lines of every node go to one place: say whose they are.
            MDC.put("node", node);
            try {
              task.run();
            } finally {
              MDC.remove("node");
            }
          }
        });
  }

  @Override
  public Clock clock() {
    return sim.clock();
  }

  void kill() {
    alive = false;
  }
}
