package io.ferry.bench;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The CPU time a set of processes spent from when each was added: a system's own cost in a run,
 * apart from whatever else the machine runs meanwhile. A process's counters vanish with it, so a
 * daemon thread reads every added process each 100 ms and keeps its last reading; one that exits
 * loses at most its last 100 ms. Linux only ({@link ThreadCpu}); elsewhere it measures 0.
 * Thread-safe.
 */
final class CpuMeter implements AutoCloseable {
  private final Map<Long, Long> baseline = new ConcurrentHashMap<>();
  private final Map<Long, Long> last = new ConcurrentHashMap<>();
  private final Thread sampler;

  CpuMeter() {
    sampler =
        Thread.ofPlatform()
            .name("blocksbench-cpu")
            .daemon()
            .start(
                () -> {
                  while (!Thread.currentThread().isInterrupted()) {
                    sample();
                    try {
                      Thread.sleep(100);
                    } catch (InterruptedException e) {
                      return;
                    }
                  }
                });
  }

  /** Counts {@code p}'s CPU from now on (a process that ran before has its use so far left out). */
  void add(ProcessHandle p) {
    long now = ThreadCpu.processMillis(p.pid());
    baseline.putIfAbsent(p.pid(), now);
    last.merge(p.pid(), now, Math::max);
  }

  /** CPU seconds of every added process since it was added, read now. */
  double seconds() {
    sample();
    long ms = 0;
    for (Map.Entry<Long, Long> e : last.entrySet()) {
      ms += Math.max(0, e.getValue() - baseline.getOrDefault(e.getKey(), 0L));
    }
    return ms / 1e3;
  }

  private void sample() {
    for (Long pid : last.keySet()) {
      long now = ThreadCpu.processMillis(pid); // 0 once it exited: the last reading stays
      last.merge(pid, now, Math::max);
    }
  }

  @Override
  public void close() throws InterruptedException {
    sampler.interrupt();
    sampler.join();
  }
}
