package io.ferry.core.runtime;

/** A handle to a scheduled task. */
public interface Cancellable {
  /**
   * Stops the task from running if it has not started yet.
   *
   * @return true if this call prevented the task from running
   */
  boolean cancel();
}
