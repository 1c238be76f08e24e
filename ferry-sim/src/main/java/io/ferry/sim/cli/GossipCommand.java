package io.ferry.sim.cli;

import io.ferry.sim.gossip.GossipSimulation;
import io.ferry.sim.gossip.GossipSimulation.Fault;
import io.ferry.sim.gossip.GossipSimulation.Options;
import io.ferry.sim.gossip.GossipSimulation.Report;
import java.io.PrintWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry sim gossip}: the gossip plane at scale in the simulator. Prints, per seed, how long
 * new values took to reach 99% of the live honest nodes and what each node sent per second, then
 * each broken invariant; exits 0 when every invariant held, 4 when one broke, 2 on bad arguments.
 */
@Command(
    name = "gossip",
    description = {
      "Runs N lightweight nodes, each a real gossip plane and the node's discovery, in",
      "the simulator: every node publishes its contact info; after a warm-up, nodes",
      "publish snapshot hashes one after another, and each is timed until it reaches",
      "99% of the live honest nodes, while every node's gossip bytes are counted.",
      "With faults: latency and loss, crashes, liars, and a partition that must heal",
      "and converge."
    },
    footer = {
      "",
      "Exit codes: 0 every invariant held, 2 usage, 4 an invariant broke.",
      "See docs/benchmarks.md (Step 9 - gossip)."
    })
public final class GossipCommand implements Callable<Integer> {
  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--nodes", description = "Nodes, liars included (default 1000).")
  int nodes = 1000;

  @Option(names = "--seed", description = "The first seed (default 1).")
  long seed = 1;

  @Option(names = "--seeds", description = "How many seeds from --seed on (default 1).")
  int seeds = 1;

  @Option(
      names = "--peers",
      description = "Outbound peers each node keeps (default 8, as a node's --max-outbound).")
  int peers = 8;

  @Option(
      names = "--static-peers",
      description =
          "Each node keeps --peers random static peers instead of finding its peers through"
              + " gossip from two entrypoints.")
  boolean staticPeers;

  @Option(
      names = "--verify-every-signature",
      description =
          "Each node verifies every value it takes, as a real node does, instead of the"
              + " simulated nodes sharing one memo of outcomes (each distinct value verified"
              + " once). Same run, same trace; about half a millisecond of CPU per check.")
  boolean verifyEverySignature;

  @Option(names = "--publications", description = "Values published and timed (default 10).")
  int publications = 10;

  @Option(
      names = "--warmup",
      description = "Virtual time before the measured window (default 60s).",
      converter = SimCommand.DurationConverter.class)
  Duration warmup = Duration.ofMinutes(1);

  @Option(
      names = "--every",
      description = "Virtual time between two publications (default 20s).",
      converter = SimCommand.DurationConverter.class)
  Duration every = Duration.ofSeconds(20);

  @Option(
      names = "--window",
      description = "The measured window of virtual time (default 5m).",
      converter = SimCommand.DurationConverter.class)
  Duration window = Duration.ofMinutes(5);

  @Option(
      names = "--faults",
      split = ",",
      description = "Any of loss, crash, liars, partition (default loss).")
  List<String> faults = List.of("loss");

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (nodes < 10 || seeds < 1 || peers < 1 || peers >= nodes || publications < 1) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--nodes must be at least 10, --seeds and --publications at least 1, and --peers in"
              + " [1, nodes)");
    }
    Set<Fault> faultSet = EnumSet.noneOf(Fault.class);
    for (String f : faults) {
      if (f.isBlank() || f.strip().equals("none")) {
        continue;
      }
      try {
        faultSet.add(Fault.valueOf(f.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "unknown fault '" + f + "': loss, crash, liars or partition");
      }
    }
    int broken = 0;
    for (long s = seed; s < seed + seeds; s++) {
      Options options;
      try {
        options =
            new Options(
                nodes,
                s,
                faultSet,
                !staticPeers,
                peers,
                publications,
                warmup,
                every,
                window,
                Options.of(nodes, s, faultSet).partitionFor(),
                Options.of(nodes, s, faultSet).config(),
                !verifyEverySignature);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      long start = System.nanoTime();
      long cpuStart = threads.getCurrentThreadCpuTime();
      Report r = GossipSimulation.run(options);
      double wall = (System.nanoTime() - start) / 1e9;
      double cpu = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e9;
      out.printf(
          Locale.ROOT,
          "gossip seed=%d nodes=%d faults=%s: 99%% coverage p50 %s p90 %s max %s over %d values,"
              + " %.0f B/node/s (%.1f msgs/node/s), %.0f values held, %d/%d liars banned,"
              + " %d crashes, partition healed in %s; %d signatures verified, %d values audited,"
              + " %d events, %.1f s wall (%.1f s CPU), %d MiB peak heap; trace %s: %s%n",
          s,
          nodes,
          faultSet.isEmpty() ? "none" : faultSet.toString().toLowerCase(Locale.ROOT),
          seconds(r.coverageQuantileNanos(0.5)),
          seconds(r.coverageQuantileNanos(0.9)),
          seconds(r.coverageQuantileNanos(1.0)),
          r.coverageNanos().size(),
          r.bytesPerNodeSecond(),
          r.messagesPerNodeSecond(),
          r.valuesHeld(),
          r.liarsBanned(),
          r.liars(),
          r.crashes(),
          seconds(r.healedNanos()),
          r.signaturesVerified(),
          r.valuesAudited(),
          r.events(),
          wall,
          cpu,
          peakHeapBytes() >> 20,
          r.traceHash().substring(0, 16),
          r.ok() ? "ok" : "BROKEN");
      for (String v : r.violations()) {
        out.printf("  seed=%d: %s%n", s, v);
      }
      if (!r.ok()) {
        broken++;
        out.printf(
            "  replay: bin/ferry sim gossip --nodes %d --seed %d --peers %d%s%s --publications %d"
                + " --warmup %s --every %s --window %s --faults %s%n",
            nodes,
            s,
            peers,
            staticPeers ? " --static-peers" : "",
            verifyEverySignature ? " --verify-every-signature" : "",
            publications,
            text(warmup),
            text(every),
            text(window),
            faultSet.isEmpty() ? "none" : String.join(",", faults));
      }
      out.flush();
    }
    if (seeds > 1) {
      out.printf("sim gossip: %d of %d seeds ok%n", seeds - broken, seeds);
    }
    return broken == 0 ? 0 : SimCommand.BROKEN;
  }

  /** The most heap in use so far: the sum of each heap pool's peak. */
  private static long peakHeapBytes() {
    long peak = 0;
    for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
      if (pool.getType() == MemoryType.HEAP) {
        peak += pool.getPeakUsage().getUsed();
      }
    }
    return peak;
  }

  /** A duration as the options read it back: 1500ms, 90s. */
  private static String text(Duration d) {
    return d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
  }

  private static String seconds(long nanos) {
    return nanos < 0 ? "-" : String.format(Locale.ROOT, "%.2f s", nanos / 1e9);
  }
}
