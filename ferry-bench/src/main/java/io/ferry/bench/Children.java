package io.ferry.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The processes one benchmark run started, stopped together: at the end of the run, and from a JVM
 * shutdown hook when the benchmark ends early (an exception, Ctrl-C). A child that must not outlive
 * a benchmark killed outright ({@code kill -9}) watches for that itself: {@code aria2c
 * --stop-with-process}, {@code ferry node --stop-with-parent}, or the end of its standard input.
 *
 * <p>Thread-safe: the shutdown hook may stop the children while the run still starts them; a child
 * started after {@link #close} is stopped at once.
 */
final class Children implements AutoCloseable {
  private final List<Process> processes = new ArrayList<>();
  private final List<ProcessHandle> others = new ArrayList<>();
  private boolean closed;

  /** Starts a child and keeps it. */
  Process start(ProcessBuilder builder) throws IOException {
    return add(builder.start());
  }

  /** Keeps a child started elsewhere. */
  Process add(Process p) {
    synchronized (this) {
      if (!closed) {
        processes.add(p);
        return p;
      }
    }
    stopAll(List.of(p.toHandle()));
    throw new IllegalStateException("the benchmark is stopping");
  }

  /**
   * Keeps a process that is not our child (a daemon a wrapper started), to stop it with the rest.
   */
  synchronized void add(ProcessHandle h) {
    others.add(h);
  }

  /** Stops every child kept so far (SIGTERM, SIGKILL after 30 s) and forgets them. */
  void stopAll() {
    List<ProcessHandle> all = new ArrayList<>();
    synchronized (this) {
      for (Process p : processes) {
        try {
          p.getOutputStream().close(); // a child that waits for its input to end stops now
        } catch (IOException e) {
          // its input was closed already
        }
        all.add(p.toHandle());
      }
      all.addAll(others);
      processes.clear();
      others.clear();
    }
    stopAll(all);
  }

  private static void stopAll(List<ProcessHandle> handles) {
    List<ProcessHandle> all = new ArrayList<>();
    for (ProcessHandle h : handles) {
      all.addAll(h.descendants().toList()); // a wrapper's children first: they outlive it otherwise
      all.add(h);
    }
    all.forEach(ProcessHandle::destroy);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    for (ProcessHandle h : all) {
      try {
        long left = Math.max(0, deadline - System.nanoTime());
        h.onExit().get(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // stop the rest at once
        h.destroyForcibly();
      } catch (ExecutionException | TimeoutException e) {
        h.destroyForcibly();
      }
    }
  }

  /** Stops every child and every one started later. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
    }
    stopAll();
  }
}
