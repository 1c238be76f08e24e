package io.ferry.node.cli;

import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import io.ferry.node.Node;
import io.ferry.node.config.NodeConfig;
import io.ferry.node.config.NodeSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ferry node}: runs a node until SIGTERM or Ctrl-C, which stops it cleanly. Flags override
 * the TOML file given with {@code --config}; see docs/node.md for the settings and the data
 * directory.
 */
@Command(
    name = "node",
    mixinStandardHelpOptions = true,
    description = {
      "Run a node: produce (--produce) or follow a trusted producer (--trust-producer,"
          + " --trust-root); serve proofs to peers, snapshots and status over HTTP.",
      "A node that does neither serves the store it has."
    })
final class NodeCommand implements Callable<Integer> {
  private static final Logger log = LoggerFactory.getLogger(NodeCommand.class);

  @Spec CommandSpec spec;
  @ParentCommand FerryCommand parent;

  @Option(names = "--config", paramLabel = "FILE", description = "TOML settings; flags win.")
  Path configFile;

  @Option(names = "--data", paramLabel = "DIR", description = "Data directory.")
  String data;

  @Option(
      names = "--init",
      description = "Create the data directory and the node key, print the node id and exit.")
  boolean init;

  @Option(
      names = "--p2p",
      paramLabel = "HOST:PORT",
      description = "Listen for peers here (default 0.0.0.0:8900; port 0 picks a free one).")
  String p2p;

  @Option(
      names = "--http",
      paramLabel = "HOST:PORT",
      description =
          "HTTP service: snapshots, /health, /status, /metrics (default 0.0.0.0:8899; off).")
  String http;

  @Option(
      names = "--api",
      paramLabel = "HOST:PORT",
      description =
          "Write API: POST /v1/commit on its own listener, e.g. 127.0.0.1:8898 (default off;"
              + " beyond loopback only with --api-token-file).")
  String api;

  @Option(
      names = "--api-token-file",
      paramLabel = "FILE",
      description =
          "Write API: a file (owner-only) whose one line is the token every request must send as"
              + " 'Authorization: Bearer TOKEN'.")
  String apiTokenFile;

  @Option(
      names = "--peer",
      paramLabel = "[ID@]HOST:PORT",
      description = "A peer to connect to and keep (repeatable).")
  List<String> peers = new ArrayList<>();

  @Option(
      names = "--entrypoint",
      paramLabel = "HOST:PORT",
      description =
          "A node to learn the network from (repeatable): this node then keeps connected to a"
              + " random subset of the nodes gossip tells it about (--max-outbound).")
  List<String> entrypoints = new ArrayList<>();

  @Option(
      names = "--max-outbound",
      paramLabel = "N",
      description =
          "With --entrypoint: peers discovery keeps this node connected to (default 8; --peer"
              + " peers come on top).")
  Integer maxOutbound;

  @Option(
      names = "--max-inbound",
      paramLabel = "N",
      description = "Connections other nodes may open to this one; more are refused (default 192).")
  Integer maxInbound;

  @Option(
      names = "--advertise",
      paramLabel = "HOST",
      description =
          "The host other nodes are told to dial (default: the --p2p host; set it when that is"
              + " 0.0.0.0 or ::).")
  String advertise;

  @Option(names = "--key", paramLabel = "FILE", description = "Node key (default DIR/node.key).")
  String key;

  @Option(names = "--produce", description = "Commit generated updates and sign each new head.")
  Boolean produce;

  @Option(
      names = "--trust-producer",
      paramLabel = "ID",
      description = "Follow the heads this producer signs.")
  String trustProducer;

  @Option(
      names = "--trust-root",
      paramLabel = "HEX",
      description = "Follow a head with this root, whoever signs it.")
  String trustRoot;

  @Option(
      names = "--updates-per-commit",
      paramLabel = "N",
      description =
          "Producer: random keys put per commit (default 1000; 0: commit only what the"
              + " application writes).")
  Integer updatesPerCommit;

  @Option(
      names = "--commit-interval",
      paramLabel = "MS",
      description = "Producer: milliseconds between commits (default 1000).")
  Long commitIntervalMs;

  @Option(
      names = "--snapshot-interval",
      paramLabel = "K",
      description = "A full archive every K commits (default 100; 0 for none).")
  Long snapshotInterval;

  @Option(
      names = "--incremental-interval",
      paramLabel = "K",
      description = "An incremental archive every K commits in between (default 25; 0: none).")
  Long incrementalInterval;

  @Option(
      names = "--head-interval",
      paramLabel = "MS",
      description =
          "How often to pull gossip (heads, contacts, snapshots) from a random peer (default"
              + " 1000); new values are pushed at once anyway.")
  Long headIntervalMs;

  @Option(
      names = "--work-limit",
      paramLabel = "N",
      description = "Follower: proof requests in flight while syncing (default 8).")
  Integer workLimit;

  @Option(
      names = "--stop-with-parent",
      hidden = true,
      description = "Stop cleanly when the parent process exits (the demo starts nodes so).")
  boolean stopWithParent;

  @Option(
      names = "--egress",
      paramLabel = "MiB/s",
      description = "HTTP: limit on all downloads together (default none).")
  Double egressMib;

  @Option(
      names = "--p2p-egress",
      paramLabel = "MiB/s",
      description =
          "Peer transport: limit on what each connection sends, chunks and proofs served"
              + " included (default none; CometBFT's send rate).")
  Double p2pEgressMib;

  @Option(
      names = "--bootstrap",
      paramLabel = "METHOD",
      description =
          "Follower: how an empty node gets its first state: auto (chunks from peers when they"
              + " list the trusted snapshot, else HTTP, else proofs), http, chunks or proofs"
              + " (default auto).")
  String bootstrapMethod;

  @Option(
      names = "--network",
      paramLabel = "NAME",
      description = "Network name; nodes gossip only within theirs (default ferry).")
  String network;

  @Option(
      names = "--known-validator",
      paramLabel = "ID",
      description =
          "Follower: a node whose snapshot advertisements count as a vote when the empty node"
              + " chooses a snapshot to restore (repeatable). Without any, the trusted producer's"
              + " advertisement is enough.")
  List<String> knownValidators = new ArrayList<>();

  @Option(
      names = "--min-agreement",
      paramLabel = "K",
      description =
          "Follower: how many known validators must advertise the same snapshot (default 1).")
  Integer minAgreement;

  @Option(
      names = "--bootstrap-wait",
      paramLabel = "S",
      description =
          "Follower: seconds an empty node waits for a trusted snapshot in gossip before it"
              + " proof-syncs instead (default 30; 0: never bootstrap from a snapshot).")
  Long bootstrapWait;

  @Option(
      names = "--push-window",
      paramLabel = "S",
      description =
          "Follower: seconds each push subscription stays open before it is renewed (default"
              + " 60, at most 3600).")
  Long pushWindow;

  @Option(
      names = "--push-bytes",
      paramLabel = "B",
      description =
          "Follower: bytes of pushes a subscription takes before it is renewed (default"
              + " 268435456).")
  Long pushBytes;

  @Option(
      names = "--blocks-quota",
      paramLabel = "BYTES",
      description =
          "Bytes the block store may hold, such as 16GiB or 500MB; beyond it the least recently"
              + " used datasets that are not pinned are evicted (default 16GiB).")
  String blocksQuota;

  @Option(
      names = "--no-push",
      description = "Follower: do not subscribe to pushes; follow by polling only.")
  boolean noPush;

  @Override
  public Integer call() throws Exception {
    NodeSettings s = configFile != null ? NodeSettings.read(configFile) : new NodeSettings();
    s.data = data != null ? data : s.data;
    s.p2p = p2p != null ? p2p : s.p2p;
    s.http = http != null ? http : s.http;
    s.api = api != null ? api : s.api;
    s.apiTokenFile = apiTokenFile != null ? apiTokenFile : s.apiTokenFile;
    if (!peers.isEmpty()) {
      s.peers = peers;
    }
    if (!entrypoints.isEmpty()) {
      s.entrypoints = entrypoints;
    }
    s.maxOutbound = maxOutbound != null ? maxOutbound : s.maxOutbound;
    s.maxInbound = maxInbound != null ? maxInbound : s.maxInbound;
    s.advertise = advertise != null ? advertise : s.advertise;
    s.key = key != null ? key : s.key;
    s.produce = produce != null ? produce : s.produce;
    s.trustProducer = trustProducer != null ? trustProducer : s.trustProducer;
    s.trustRoot = trustRoot != null ? trustRoot : s.trustRoot;
    s.workLimit = workLimit != null ? workLimit : s.workLimit;
    s.headIntervalMs = headIntervalMs != null ? headIntervalMs : s.headIntervalMs;
    s.egressMib = egressMib != null ? egressMib : s.egressMib;
    s.p2pEgressMib = p2pEgressMib != null ? p2pEgressMib : s.p2pEgressMib;
    s.bootstrap = bootstrapMethod != null ? bootstrapMethod : s.bootstrap;
    s.network = network != null ? network : s.network;
    if (!knownValidators.isEmpty()) {
      s.knownValidators = knownValidators;
    }
    s.minAgreement = minAgreement != null ? minAgreement : s.minAgreement;
    s.bootstrapWait = bootstrapWait != null ? bootstrapWait : s.bootstrapWait;
    s.pushWindow = pushWindow != null ? pushWindow : s.pushWindow;
    s.pushBytes = pushBytes != null ? pushBytes : s.pushBytes;
    s.push = noPush ? Boolean.FALSE : s.push;
    s.blocksQuota = blocksQuota != null ? blocksQuota : s.blocksQuota;
    if (updatesPerCommit != null) {
      s.producer.updatesPerCommit = updatesPerCommit;
    }
    if (commitIntervalMs != null) {
      s.producer.commitIntervalMs = commitIntervalMs;
    }
    if (snapshotInterval != null) {
      s.snapshots.fullInterval = snapshotInterval;
    }
    if (incrementalInterval != null) {
      s.snapshots.incrementalInterval = incrementalInterval;
    }
    NodeConfig config = s.toConfig();
    FileChecks.directory(config.data());
    Path logFile = Logging.logToFile(config.logDir(), parent.verbose());
    var out = spec.commandLine().getOut();
    if (stopWithParent) {
      ProcessHandle.current()
          .parent()
          .ifPresent(p -> p.onExit().thenRun(() -> System.exit(ExitCodes.OK)));
    }
    if (init) {
      NodeKey nodeKey = KeyFile.loadOrCreate(config.keyFile());
      log.info(
          "node {} starting with data directory {}", nodeKey.id(), config.data().toAbsolutePath());
      out.println("node id:  " + nodeKey.id());
      out.println("log file: " + logFile);
      return ExitCodes.OK;
    }
    Node node = Node.start(config);
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  node.close();
                  stopped.countDown();
                },
                "ferry-shutdown"));
    // Scripts and tests read these lines.
    out.println("node id:  " + node.id());
    out.println("role:     " + node.status().role());
    out.println("log file: " + logFile);
    out.println("height:   " + node.store().height());
    out.println("root:     " + node.store().root().toHex());
    node.httpAddress()
        .ifPresent(a -> out.println("http      http://" + a.getHostString() + ":" + a.getPort()));
    node.apiAddress()
        .ifPresent(a -> out.println("api       http://" + a.getHostString() + ":" + a.getPort()));
    out.println("listening " + node.p2pAddress());
    out.flush();
    log.info("node running; SIGTERM or Ctrl-C stops it");
    stopped.await();
    return ExitCodes.OK;
  }
}
