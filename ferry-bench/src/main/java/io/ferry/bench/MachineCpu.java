package io.ferry.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How busy the whole machine's CPUs were between two readings of Linux's {@code /proc/stat}: every
 * process counts, so a run whose parties are many processes (a swarm of downloaders) is measured
 * whole. Elsewhere than Linux every reading is zero and {@link #busySince} is NaN.
 *
 * @param busy clock ticks of all CPUs spent in anything but idle and I/O wait
 * @param total clock ticks of all CPUs
 */
record MachineCpu(long busy, long total) {

  /** The machine's CPU counters now. */
  static MachineCpu now() {
    try {
      String line = Files.readAllLines(Path.of("/proc/stat")).getFirst();
      // cpu  user nice system idle iowait irq softirq steal guest guest_nice
      String[] f = line.trim().split("\\s+");
      long total = 0;
      for (int i = 1; i <= 8 && i < f.length; i++) {
        total += Long.parseLong(f[i]);
      }
      long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
      return new MachineCpu(total - idle, total);
    } catch (IOException | RuntimeException e) {
      return new MachineCpu(0, 0);
    }
  }

  /** The share of all CPUs busy from {@code before} to this reading, 0 to 1. */
  double busySince(MachineCpu before) {
    long t = total - before.total;
    return t <= 0 ? Double.NaN : (double) (busy - before.busy) / t;
  }
}
