package io.ferry.node.cli;

import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import io.ferry.merkledb.MerkleDB;
import io.ferry.net.PeerAddress;
import io.ferry.net.TransportConfig;
import io.ferry.net.tcp.NettyTransport;
import io.ferry.sync.proof.ProofServerConfig;
import io.ferry.sync.proof.ProofSyncServer;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ferry node}: runs a node on a data directory. With {@code --p2p} it serves range and
 * change proofs of its store to peers until stopped (SIGTERM or Ctrl-C closes the server, the
 * transport and the store cleanly); without it, it sets up the identity and exits. The full node
 * (producing, following, snapshots, HTTP) comes with step 6.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = "Run a node: serve proofs of its state to peers (--p2p).")
final class NodeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

  @Spec CommandSpec spec;
  @ParentCommand FerryCommand parent;
  @Mixin StoreOptions store;

  @Option(
      names = "--p2p",
      paramLabel = "HOST:PORT",
      description = "Listen for peers here and serve proofs (port 0 picks a free one).")
  String p2p;

  @Override
  public Integer call() throws Exception {
    Path data = store.data;
    Files.createDirectories(data);
    Path logFile = Logging.logToFile(data.resolve("logs"), parent.verbose());
    NodeKey key = KeyFile.loadOrCreate(data.resolve("node.key"));
    log.info("node {} starting with data directory {}", key.id(), data.toAbsolutePath());
    var out = spec.commandLine().getOut();
    out.println("node id:  " + key.id());
    out.println("log file: " + logFile);
    if (p2p == null) {
      spec.commandLine()
          .getErr()
          .println("ferry node: no --p2p address given; identity and store are ready.");
      return ExitCodes.OK;
    }
    InetSocketAddress bind = listenAddress(p2p);
    MerkleDB db = store.open();
    NettyTransport transport = NettyTransport.start(key, bind, TransportConfig.DEFAULT);
    ProofSyncServer server = ProofSyncServer.start(transport, db, ProofServerConfig.defaults());
    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              log.info("node {} shutting down", key.id().shortString());
              server.close();
              transport.close();
              db.close();
              stopped.countDown();
            },
            "ferry-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    out.println("height:   " + db.height());
    out.println("root:     " + db.root().toHex());
    // The address peers use, with this node's id: tests and scripts read this line.
    out.println("listening " + transport.address());
    out.flush();
    stopped.await();
    return ExitCodes.OK;
  }

  /** {@code HOST:PORT} to listen on; unlike a peer's address, port 0 (any free port) is allowed. */
  static InetSocketAddress listenAddress(String text) {
    // Parse with a placeholder port, then put the real one back: one grammar for both.
    int colon = text.lastIndexOf(':');
    String portText = colon < 0 ? "" : text.substring(colon + 1);
    if (portText.equals("0")) {
      PeerAddress a = PeerAddress.parse(text.substring(0, colon + 1) + "1");
      return new InetSocketAddress(a.host(), 0);
    }
    PeerAddress a = PeerAddress.parse(text);
    if (a.expectedId().isPresent()) {
      throw new io.ferry.core.FerryException(
          io.ferry.core.ErrorCode.INVALID_ARGUMENT, "--p2p takes HOST:PORT, without a node id");
    }
    return new InetSocketAddress(a.host(), a.port());
  }
}
