package io.ferry.core.runtime;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.time.Duration;
import java.util.PriorityQueue;

/**
 * A scheduler in virtual time: tasks run only when the owner advances time, on the owner's thread,
 * in deadline order and, for equal deadlines, in the order they were scheduled. So a run is a pure
 * function of its inputs, which is what lets a simulation seed replay exactly.
 *
 * <p>Thread-safe for scheduling; {@link #advance} and {@link #runDue} must be called from one
 * thread at a time.
 */
public final class ManualScheduler implements Scheduler {
  private final ManualClock clock;
  // Cancelled tasks stay queued until they come up or outnumber the live ones: removing one from a
  // PriorityQueue is a linear scan, and a simulation of thousands of nodes cancels a request
  // deadline for every answer.
  private final PriorityQueue<Task> queue = new PriorityQueue<>();
  private long nextSeq;
  private int cancelled;

  public ManualScheduler() {
    this(new ManualClock());
  }

  public ManualScheduler(ManualClock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized Cancellable schedule(Duration delay, Runnable task) {
    if (delay.isNegative()) {
      delay = Duration.ZERO;
    }
    Task t = new Task(clock.nanos() + delay.toNanos(), nextSeq++, task);
    queue.add(t);
    return () -> cancel(t);
  }

  private synchronized boolean cancel(Task t) {
    if (t.done) {
      return false;
    }
    t.done = true;
    cancelled++;
    if (cancelled > 1024 && cancelled > queue.size() / 2) {
      queue.removeIf(task -> task.done);
      cancelled = 0;
    }
    return true;
  }

  /**
   * Runs {@code task} at once: tasks run only on the owner's thread, which must be the caller (as
   * for {@link #advance}).
   */
  @Override
  public void runAndWait(Runnable task, Duration timeout) {
    task.run();
  }

  @Override
  public ManualClock clock() {
    return clock;
  }

  /** Runs every task due at the current time, including ones those tasks schedule for now. */
  public int runDue() {
    return runUntil(clock.nanos());
  }

  /**
   * Moves time forward by {@code by}, running each task at its own deadline on the way.
   *
   * @return the number of tasks run
   */
  public int advance(Duration by) {
    if (by.isNegative()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "time cannot go backwards: " + by);
    }
    return runUntil(clock.nanos() + by.toNanos());
  }

  /**
   * Runs tasks in order until none is left, moving time to each one's deadline.
   *
   * @param maxTasks a bound, so a task that keeps rescheduling itself cannot loop forever
   * @return the number of tasks run
   */
  public int runUntilIdle(int maxTasks) {
    int ran = 0;
    while (ran < maxTasks) {
      Task next = poll(Long.MAX_VALUE);
      if (next == null) {
        return ran;
      }
      clock.advanceTo(Math.max(clock.nanos(), next.deadline));
      next.runnable.run();
      ran++;
    }
    return ran;
  }

  private int runUntil(long target) {
    int ran = 0;
    Task next;
    while ((next = poll(target)) != null) {
      clock.advanceTo(Math.max(clock.nanos(), next.deadline));
      next.runnable.run();
      ran++;
    }
    clock.advanceTo(Math.max(clock.nanos(), target));
    return ran;
  }

  private synchronized Task poll(long notAfter) {
    Task head = head();
    if (head == null || head.deadline > notAfter) {
      return null;
    }
    queue.poll();
    head.done = true;
    return head;
  }

  /** The first task not cancelled, dropping the cancelled ones before it. */
  private Task head() {
    Task head;
    while ((head = queue.peek()) != null && head.done) {
      queue.poll();
      cancelled--;
    }
    return head;
  }

  /** Tasks scheduled and not yet run or cancelled. */
  public synchronized int pending() {
    return queue.size() - cancelled;
  }

  /** The deadline of the next task in virtual nanos, or -1 if none is pending. */
  public synchronized long nextDeadline() {
    Task head = head();
    return head == null ? -1 : head.deadline;
  }

  private static final class Task implements Comparable<Task> {
    final long deadline;
    final long seq;
    final Runnable runnable;
    boolean done; // ran or cancelled; guarded by the scheduler

    Task(long deadline, long seq, Runnable runnable) {
      this.deadline = deadline;
      this.seq = seq;
      this.runnable = runnable;
    }

    @Override
    public int compareTo(Task o) {
      int c = Long.compare(deadline, o.deadline);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }
}
