package io.ferry.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The {@code ferry} CLI run as child processes of an end-to-end benchmark, each its own JVM on this
 * benchmark's class path, as a user runs it: one-shot commands whose stdout is their result, and
 * node processes that keep running until stopped.
 */
final class FerryCli {
  private static final Pattern HTTP = Pattern.compile("http +http://(\\S+)");
  private static final Pattern API = Pattern.compile("api +http://(\\S+)");

  private static List<String> cds;

  private FerryCli() {}

  /**
   * A started {@code ferry node} and what it printed at start; {@code http} and {@code api} (the
   * write API's {@code HOST:PORT}) null without one.
   */
  record NodeProcess(Process process, String id, String p2p, String http, String api) {}

  /** The command line of {@code ferry ARGS} with {@code jvm} options after the defaults. */
  static List<String> command(List<String> jvm, List<String> args) {
    return java(jvm, "io.ferry.node.cli.Main", args);
  }

  /** The command line of a main class on this class path, {@code jvm} options after -Xmx4g. */
  static List<String> java(List<String> jvm, String mainClass, List<String> args) {
    String java = ProcessHandle.current().info().command().orElse("java");
    List<String> cmd =
        new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED", "-Xmx4g"));
    cmd.addAll(jvm);
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
    cmd.addAll(args);
    return cmd;
  }

  static List<String> command(List<String> args) {
    return command(List.of(), args);
  }

  /** Runs {@code ferry ARGS} to the end and returns its stdout; its stderr goes to ours. */
  static String run(List<String> args) throws Exception {
    Process p =
        new ProcessBuilder(command(args)).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    return output(p, args);
  }

  static String run(String... args) throws Exception {
    return run(List.of(args));
  }

  /** The stdout of a started ferry command, once it has exited 0; fails otherwise. */
  static String output(Process p, List<String> args) throws Exception {
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IllegalStateException("ferry " + args + " exited " + p.exitValue() + ": " + out);
    }
    return out;
  }

  /**
   * Starts {@code ferry node --data DATA --p2p 127.0.0.1:0 --http 127.0.0.1:0 EXTRA} (an {@code
   * --http} in {@code extra} wins) and waits for the lines it prints at start. It stops with the
   * benchmark's process, even one killed. Its stderr is discarded (a node logs to DATA/logs); what
   * it prints later on stdout is drained.
   */
  static NodeProcess node(Path data, List<String> extra) throws IOException {
    List<String> args =
        new ArrayList<>(
            List.of(
                "node", "--data", data.toString(), "--p2p", "127.0.0.1:0", "--stop-with-parent"));
    if (!extra.contains("--http")) {
      args.addAll(List.of("--http", "127.0.0.1:0"));
    }
    args.addAll(extra);
    Process p =
        new ProcessBuilder(command(args)).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String id = null;
    String http = null;
    String api = null;
    for (String line; (line = r.readLine()) != null; ) {
      if (line.startsWith("node id:")) {
        id = line.substring("node id:".length()).strip();
      }
      Matcher m = HTTP.matcher(line);
      if (m.find()) {
        http = m.group(1);
      }
      Matcher a = API.matcher(line);
      if (a.find()) {
        api = a.group(1);
      }
      if (line.startsWith("listening ")) {
        drain(r);
        return new NodeProcess(p, id, line.substring("listening ".length()).strip(), http, api);
      }
    }
    throw new IllegalStateException("a node exited before listening: " + args);
  }

  /**
   * The value after {@code prefix} on the first line of a process's stdout that starts with it; the
   * rest of its stdout is drained.
   */
  static String awaitLine(Process p, String prefix) throws IOException {
    BufferedReader r =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    for (String line; (line = r.readLine()) != null; ) {
      if (line.startsWith(prefix)) {
        drain(r);
        return line.substring(prefix.length()).strip();
      }
    }
    throw new IllegalStateException("a process exited before printing '" + prefix + "'");
  }

  /** Reads what a long-running child prints from now on, so a full pipe never blocks it. */
  private static void drain(BufferedReader r) {
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                r.transferTo(java.io.Writer.nullWriter());
              } catch (IOException e) {
                // the process ended
              }
            });
  }

  /** Stops a child: SIGTERM, then SIGKILL after 30 s. */
  static void stop(Process p) throws InterruptedException {
    p.destroy();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * JVM flags that map a class-data sharing archive of the CLI, made once by a run of {@code
   * --help}, as bin/ferry does: a client starts as fast as it does for a user.
   */
  static synchronized List<String> cdsArgs(Path scratch) throws Exception {
    if (cds == null) {
      Path jsa = scratch.resolve("ferry-cli.jsa");
      Process p =
          new ProcessBuilder(command(List.of("-XX:ArchiveClassesAtExit=" + jsa), List.of("--help")))
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      p.getInputStream().transferTo(OutputStream.nullOutputStream());
      p.waitFor();
      cds =
          Files.isRegularFile(jsa) && Files.size(jsa) > 0
              ? List.of("-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off", "-Xlog:cds+dynamic=off")
              : List.of();
    }
    return cds;
  }

  static String lastLine(String out) {
    String[] lines = out.strip().split("\n");
    return lines[lines.length - 1].strip();
  }
}
