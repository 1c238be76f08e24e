package io.ferry.node.cli;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.node.fetch.Downloader;
import io.ferry.node.fetch.Output;
import io.ferry.node.fetch.OutputExistsException;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ferry fetch}: downloads a file (a snapshot archive) from one or several HTTP servers at
 * once, resuming an interrupted download and checking size and hash.
 */
@Command(
    name = "fetch",
    mixinStandardHelpOptions = true,
    description = {
      "Download a file from one or several servers that hold it, in parallel and resumable.",
      "URLs may redirect within their server (e.g. http://HOST:8899/snapshot.tar.zst); the file's"
          + " path is printed last. An existing file is replaced only with --force (exit 7"
          + " otherwise)."
    })
final class FetchCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Parameters(arity = "1..*", paramLabel = "URL", description = "Servers holding the same file.")
  List<String> urls;

  @Option(
      names = "--out",
      paramLabel = "FILE",
      description =
          "Where to write (default: the first URL's file name in the current directory, or, when"
              + " it redirects to a snapshot archive, the archive's name).")
  Path out;

  @Option(names = "--force", description = "Replace the file if it exists.")
  boolean force;

  @Option(
      names = "--follow-any-redirect",
      description = "Follow redirects to other servers too (default: only within a URL's origin).")
  boolean followAnyRedirect;

  @Option(names = "--sha256", paramLabel = "HEX", description = "Expected SHA-256 of the file.")
  String sha256;

  @Option(
      names = "--connections",
      paramLabel = "N",
      defaultValue = "8",
      description = "Range requests in flight over all servers (default ${DEFAULT-VALUE}).")
  int connections;

  @Option(
      names = "--min-speed",
      paramLabel = "MiB/s",
      defaultValue = "10",
      description =
          "Drop a server slower than this per connection after a 10 s grace period, if others"
              + " remain (default ${DEFAULT-VALUE}; 0 never).")
  double minSpeed;

  @Override
  public Integer call() throws Exception {
    List<URI> uris = new ArrayList<>();
    for (String u : urls) {
      try {
        URI uri = URI.create(u);
        if (!"http".equals(uri.getScheme()) && !"https".equals(uri.getScheme())) {
          throw new IllegalArgumentException("not an http(s) URL");
        }
        uris.add(uri);
      } catch (IllegalArgumentException e) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT, "bad URL '" + u + "': " + e.getMessage());
      }
    }
    Downloader.Options options =
        Downloader.Options.DEFAULT
            .withConnections(connections)
            .withMinSpeed((long) (minSpeed * (1 << 20)), Duration.ofSeconds(10))
            .withReplace(force)
            .withFollowAnyRedirect(followAnyRedirect);
    if (sha256 != null) {
      if (!sha256.matches("[0-9a-fA-F]{64}")) {
        throw new FerryException(ErrorCode.INVALID_ARGUMENT, "--sha256 takes 64 hex digits");
      }
      options = options.withSha256(sha256);
    }
    long started = System.nanoTime();
    Downloader.Result result;
    ProgressBar[] bar = {null};
    try (Downloader downloader = new Downloader()) {
      result =
          downloader.download(
              uris,
              out == null ? Output.namedIn(Path.of("")) : Output.file(out),
              options,
              (present, size) -> {
                if (!Progress.interactive()) {
                  return;
                }
                synchronized (bar) {
                  if (bar[0] == null) {
                    bar[0] =
                        new ProgressBarBuilder()
                            .setTaskName("fetch")
                            .setInitialMax(size)
                            .setUnit(" MiB", 1 << 20)
                            .showSpeed()
                            .setStyle(ProgressBarStyle.ASCII)
                            .setUpdateIntervalMillis(200)
                            .setConsumer(new ConsoleProgressBarConsumer(System.err))
                            .build();
                  }
                  bar[0].stepTo(present);
                }
              });
    } catch (OutputExistsException e) {
      spec.commandLine().getErr().println("ferry: " + e.getMessage() + "; --force replaces it");
      return ExitCodes.EXISTS;
    } finally {
      synchronized (bar) {
        if (bar[0] != null) {
          bar[0].close();
        }
      }
    }
    double secs = (System.nanoTime() - started) / 1e9;
    spec.commandLine()
        .getErr()
        .printf(
            "fetched %,d of %,d bytes in %.2f s (%.1f MiB/s)%s%n",
            result.fetched(),
            result.size(),
            secs,
            result.fetched() / secs / (1 << 20),
            result.dropped().isEmpty() ? "" : "; dropped: " + result.dropped());
    spec.commandLine().getOut().println(result.file());
    return ExitCodes.OK;
  }
}
