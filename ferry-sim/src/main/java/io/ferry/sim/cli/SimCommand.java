package io.ferry.sim.cli;

import io.ferry.sim.node.NodeSimulation;
import io.ferry.sim.node.NodeSimulation.Fault;
import io.ferry.sim.node.NodeSimulation.Options;
import io.ferry.sim.node.NodeSimulation.Report;
import java.io.PrintWriter;
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
 * {@code ferry sim}: runs whole nodes in the simulator for one seed or a sweep of seeds, prints a
 * summary per run and exits 0 when every invariant held, 4 when one broke (naming the seed), 2 on
 * bad arguments.
 */
@Command(
    name = "ferry sim",
    subcommands = GossipCommand.class,
    description = {
      "Runs whole Ferry nodes in the deterministic simulator, in virtual time, with",
      "faults, and checks the invariants after every run. The same seed gives the",
      "same trace hash."
    },
    footer = {
      "",
      "Exit codes: 0 every invariant held, 2 usage, 4 an invariant broke (the seed is",
      "named).",
      "'ferry sim gossip --help': the gossip plane alone, at the scale of thousands.",
      "See docs/development.md (Simulator)."
    })
public final class SimCommand implements Callable<Integer> {
  static final int BROKEN = 4; // as ferry's "verification failed"

  @Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-h", "--help"},
      usageHelp = true,
      description = "Show this help message and exit.")
  boolean help;

  @Option(names = "--nodes", description = "Nodes, the producer included (default 20).")
  int nodes = 20;

  @Option(names = "--seed", description = "The first seed (default 1).")
  long seed = 1;

  @Option(names = "--seeds", description = "How many seeds from --seed on (default 1).")
  int seeds = 1;

  @Option(
      names = "--duration",
      description = "Virtual time per run: 90s, 10m, 1h (default 2m).",
      converter = DurationConverter.class)
  Duration duration = Duration.ofMinutes(2);

  @Option(
      names = "--faults",
      split = ",",
      description = "Any of crash, stop, partition, loss, liars (default none).")
  List<String> faults = List.of();

  @Option(
      names = "--discovery",
      description =
          "Nodes find their peers through gossip from two entrypoints each (ferry node"
              + " --entrypoint) instead of keeping three static peers (--peer).")
  boolean discovery;

  @Option(
      names = "--newcomers",
      description =
          "Honest nodes, besides --nodes, that join empty while the run goes on and bootstrap by"
              + " state sync from their peers (ferry node --bootstrap chunks) (default 0).")
  int newcomers;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    if (nodes < 2 || seeds < 1 || newcomers < 0) {
      throw new CommandLine.ParameterException(
          spec.commandLine(),
          "--nodes must be at least 2, --seeds at least 1 and --newcomers at least 0");
    }
    Set<Fault> faultSet = EnumSet.noneOf(Fault.class);
    for (String f : faults) {
      try {
        faultSet.add(Fault.valueOf(f.strip().toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "unknown fault '" + f + "': crash, stop, partition, loss or liars");
      }
    }
    int broken = 0;
    for (long s = seed; s < seed + seeds; s++) {
      long start = System.nanoTime();
      Report r =
          NodeSimulation.run(
              Options.of(nodes, s, duration, faultSet)
                  .withDiscovery(discovery)
                  .withNewcomers(newcomers));
      double wall = (System.nanoTime() - start) / 1e9;
      Runtime rt = Runtime.getRuntime();
      out.printf(
          "sim seed=%d nodes=%d virtual=%s faults=%s%s: %d commits, %d nodes synced,%s %d crashes,"
              + " %d stops, %d/%d liars banned, lag %d, %d commits applied from pushes (%d"
              + " false), %d archives, %d checks, %d events, %.1f s wall, %d MiB heap; trace %s:"
              + " %s%n",
          s,
          nodes,
          duration,
          faultSet.isEmpty() ? "none" : faultSet.toString().toLowerCase(Locale.ROOT),
          discovery ? " discovery" : "",
          r.commits(),
          r.fullSyncs(),
          newcomers > 0
              ? " " + r.chunkBootstraps() + "/" + newcomers + " newcomers restored by chunks,"
              : "",
          r.crashes(),
          r.stops(),
          r.bans(),
          r.liars(),
          r.maxLag(),
          r.pushed(),
          r.wrongRoots(),
          r.archives(),
          r.checks(),
          r.events(),
          wall,
          (rt.totalMemory() - rt.freeMemory()) >> 20,
          r.traceHash().substring(0, 16),
          r.ok() ? "ok" : "BROKEN");
      for (String v : r.violations()) {
        out.printf("  seed=%d: %s%n", s, v);
      }
      if (!r.ok()) {
        broken++;
        out.printf(
            "  replay: bin/ferry sim --nodes %d --seed %d --duration %ds --faults %s%s%s%n",
            nodes,
            s,
            duration.toSeconds(),
            String.join(",", faults),
            discovery ? " --discovery" : "",
            newcomers > 0 ? " --newcomers " + newcomers : "");
      }
      out.flush();
    }
    if (seeds > 1) {
      out.printf("sim: %d of %d seeds ok%n", seeds - broken, seeds);
    }
    return broken == 0 ? 0 : BROKEN;
  }

  /** Reads 90s, 10m, 1h or 500ms. */
  static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      try {
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return switch (v.charAt(v.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          case 'h' -> Duration.ofHours(n);
          default -> throw new CommandLine.TypeConversionException("not a duration: " + value);
        };
      } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
        throw new CommandLine.TypeConversionException(
            "not a duration: '" + value + "' (use 90s, 10m, 1h)");
      }
    }
  }

  public static void main(String[] args) {
    // Before any logger exists: ferry-node's logback.xml (a node's) is on this class path too.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "logback-sim.xml");
    }
    CommandLine cli = new CommandLine(new SimCommand());
    System.exit(cli.execute(args));
  }
}
