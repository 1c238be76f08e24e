package io.ferry.node.cli;

import io.ferry.http.Health;
import io.ferry.http.HttpMetrics;
import io.ferry.http.HttpServerConfig;
import io.ferry.http.SnapshotHttpServer;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ferry snapshot serve}: the HTTP snapshot service for an archive directory. */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = {
      "Serve an archive directory over HTTP until SIGTERM: /snapshot.tar.zst and",
      "/incremental-snapshot.tar.zst redirect to the newest archives; files with Range support."
    })
final class SnapshotServeCommand implements Callable<Integer> {
  @Spec picocli.CommandLine.Model.CommandSpec spec;

  @Option(names = "--dir", required = true, paramLabel = "ARCHIVES", description = "Archives.")
  Path dir;

  @Option(
      names = "--http",
      paramLabel = "HOST:PORT",
      defaultValue = "0.0.0.0:8899",
      description = "Listen here (default ${DEFAULT-VALUE}; port 0 picks a free one).")
  String http;

  @Option(names = "--genesis", paramLabel = "FILE", description = "Serve as /genesis.tar.bz2.")
  Path genesis;

  @Option(
      names = "--egress",
      paramLabel = "MiB/s",
      defaultValue = "0",
      description = "Total egress limit (default 0: none).")
  double egress;

  @Option(
      names = "--egress-per-connection",
      paramLabel = "MiB/s",
      defaultValue = "0",
      description = "Per-connection egress limit (default 0: none).")
  double egressPerConnection;

  @Override
  public Integer call() throws Exception {
    InetSocketAddress bind = io.ferry.node.config.NodeSettings.listenAddress(http, "--http");
    FileChecks.readableDirectory(dir);
    if (genesis != null) {
      FileChecks.readableFile(genesis);
    }
    HttpServerConfig config =
        HttpServerConfig.defaults(dir)
            .withBind(bind)
            .withEgressLimits(
                (long) (egress * (1 << 20)), (long) (egressPerConnection * (1 << 20)));
    if (genesis != null) {
      config = config.withGenesisFile(genesis);
    }
    SnapshotHttpServer server =
        new SnapshotHttpServer(config, () -> Health.UNKNOWN, HttpMetrics.standalone());
    InetSocketAddress at = server.start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  server.close();
                  stopped.countDown();
                },
                "ferry-shutdown"));
    var out = spec.commandLine().getOut();
    out.println("serving http://" + at.getAddress().getHostAddress() + ":" + at.getPort());
    out.flush();
    stopped.await();
    return ExitCodes.OK;
  }
}
