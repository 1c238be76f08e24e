package io.ferry.sim.gossip;

import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.Clock;
import io.ferry.core.runtime.Scheduler;
import java.time.Duration;

/**
 * A node incarnation's scheduler read through its machine's {@link MachineClock}: tasks run on the
 * incarnation's own scheduler (so they die with it), while {@link #clock()} is the machine's.
 */
record MachineScheduler(Scheduler tasks, Clock clock) implements Scheduler {
  @Override
  public Cancellable schedule(Duration delay, Runnable task) {
    return tasks.schedule(delay, task);
  }

  @Override
  public void runAndWait(Runnable task, Duration timeout) {
    tasks.runAndWait(task, timeout);
  }
}
