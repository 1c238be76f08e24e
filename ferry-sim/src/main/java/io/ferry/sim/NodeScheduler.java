package io.ferry.sim;

import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.Clock;
import io.ferry.core.runtime.Scheduler;
import java.time.Duration;

/**
 * The scheduler one incarnation of a node sees: the simulation's, with every task tagged by the
 * incarnation. Once the node crashes or stops, its tasks still due are dropped when they come up,
 * so no timer fires into a dead instance.
 */
final class NodeScheduler implements Scheduler {
  private final Simulation sim;
  private boolean alive = true;

  NodeScheduler(Simulation sim) {
    this.sim = sim;
  }

  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    return sim.schedule(
        delay,
        () -> {
          if (alive) {
            task.run();
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
