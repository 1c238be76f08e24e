package io.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * CPU time of another process and of its threads, read from Linux's {@code /proc} (clock ticks of
 * 10 ms, the usual USER_HZ). A process's thread table vanishes when it exits, so {@link Sampler}
 * re-reads it until then. Elsewhere than Linux every figure is zero.
 */
final class ThreadCpu {
  private static final long MS_PER_TICK = 10;

  private ThreadCpu() {}

  /** User plus system CPU of the whole process, in ms; 0 once it has exited. */
  static long processMillis(long pid) {
    return ticks(Path.of("/proc", Long.toString(pid), "stat")) * MS_PER_TICK;
  }

  /** User plus system CPU of several processes together, in ms. */
  static long processesMillis(java.util.List<Process> processes) {
    return processes.stream().mapToLong(p -> processMillis(p.pid())).sum();
  }

  /**
   * Prints a client's CPU by thread, busiest first, and what the servers used meanwhile: {@code
   * client} from {@link Sampler#byName}.
   */
  static void print(String label, Map<String, Long> client, long serversMillis) {
    long total = client.values().stream().mapToLong(Long::longValue).sum();
    System.out.printf(
        "  %s client CPU %,d ms by thread (servers together %,d ms):%n",
        label, total, serversMillis);
    client.entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .forEach(e -> System.out.printf("    %,8d ms  %s%n", e.getValue(), e.getKey()));
  }

  /** One thread's name (digits folded, so {@code GC Thread#0} and {@code #1} add up) and CPU. */
  record Reading(String name, long millis) {}

  /** The CPU of each live thread of the process, by thread id; empty once it has exited. */
  static Map<String, Reading> threads(long pid) {
    Map<String, Reading> out = new TreeMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : tasks.toList()) {
        String name = Files.readString(task.resolve("comm")).strip().replaceAll("\\d+", "N");
        out.put(
            task.getFileName().toString(),
            new Reading(name, ticks(task.resolve("stat")) * MS_PER_TICK));
      }
    } catch (IOException e) {
      // The process (or a thread) ended while being read: the sampler keeps what it had.
      return Map.of();
    }
    return out;
  }

  private static long ticks(Path stat) {
    try {
      String s = Files.readString(stat);
      // Fields after the parenthesised name: state is field 3, utime 14 and stime 15.
      String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Reads a process's threads every 200 ms on a daemon thread until it exits, keeping each thread's
   * highest reading: threads that end before the process (a pool shut down on exit) still count.
   */
  static final class Sampler implements AutoCloseable {
    private final Thread thread;
    private final Map<String, Reading> seen = new ConcurrentHashMap<>();

    Sampler(Process process) {
      thread =
          Thread.ofPlatform()
              .name("thread-cpu-sampler")
              .daemon()
              .start(
                  () -> {
                    while (process.isAlive()) {
                      threads(process.pid())
                          .forEach(
                              (tid, r) ->
                                  seen.merge(tid, r, (a, b) -> a.millis() >= b.millis() ? a : b));
                      try {
                        Thread.sleep(200);
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  });
    }

    /** CPU in ms by thread name, up to the last reading before the process exited. */
    Map<String, Long> byName() {
      Map<String, Long> out = new TreeMap<>();
      seen.values().forEach(r -> out.merge(r.name(), r.millis(), Long::sum));
      return out;
    }

    @Override
    public void close() throws InterruptedException {
      thread.interrupt();
      thread.join();
    }
  }
}
