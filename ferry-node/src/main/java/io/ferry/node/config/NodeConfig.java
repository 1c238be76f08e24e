package io.ferry.node.config;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.discovery.DiscoveryConfig;
import io.ferry.net.PeerAddress;
import io.ferry.net.peers.PeerManager;
import io.ferry.sync.push.PushConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * Everything a {@link io.ferry.node.Node} needs to start, validated. Built from {@link
 * NodeSettings} (a TOML file and command-line flags); immutable.
 *
 * @param data the data directory: {@code state/}, {@code snapshots/}, {@code sync-staging/}, {@code
 *     blocks/}, {@code logs/}, {@code node.key}
 * @param p2p where to listen for peers
 * @param http where the HTTP service listens; empty for none
 * @param peers peers to connect to and keep connected
 * @param keyFile the node's Ed25519 key (created on first start)
 * @param producer present when this node produces: it commits generated updates and signs heads
 * @param trustProducer the producer whose signed heads a follower accepts
 * @param trustRoot a root a follower accepts whoever signs a head naming it
 * @param workLimit proof requests in flight at once while syncing
 * @param headInterval how often a node pulls gossip (heads included) from a random peer
 * @param snapshots when archives are made and how many are kept
 * @param egressBytesPerSecond HTTP egress limit over all downloads; 0 for none
 * @param p2pEgressBytesPerSecond peer transport: bytes per second each connection may send (what
 *     serving chunks and proofs costs), CometBFT's send rate; 0 for none
 * @param network the network name; nodes gossip only with nodes of the same one
 * @param entrypoints addresses ({@code HOST:PORT}, usually without an id) a node dials to learn the
 *     network from gossip; when present, {@link io.ferry.gossip.discovery.Discovery} keeps it
 *     connected to a random subset of the nodes it learns about
 * @param maxOutbound peers discovery keeps this node connected to; {@code peers} come on top
 * @param maxInbound connections other nodes may open to this one; beyond it they are refused
 * @param advertise the host other nodes are told to reach this node at (in its gossip contact
 *     info); empty for the host {@code p2p} binds, which is useless to them when it is 0.0.0.0 or
 *     ::
 * @param bootstrap how an empty follower restores a snapshot chosen from gossip first
 * @param push whether a follower subscribes to pushes, and for how long and how many bytes
 * @param api the write API's listener ({@code POST /v1/commit}); empty for none, the default
 * @param blocksQuota bytes the block store ({@code blocks/}: datasets, snapshot archives among
 *     them) may hold; beyond it the least recently used unpinned datasets are evicted
 */
public record NodeConfig(
    Path data,
    InetSocketAddress p2p,
    Optional<InetSocketAddress> http,
    List<PeerAddress> peers,
    Path keyFile,
    Optional<Producer> producer,
    Optional<NodeId> trustProducer,
    Optional<Hash> trustRoot,
    int workLimit,
    Duration headInterval,
    Snapshots snapshots,
    long egressBytesPerSecond,
    long p2pEgressBytesPerSecond,
    String network,
    List<PeerAddress> entrypoints,
    int maxOutbound,
    int maxInbound,
    Optional<String> advertise,
    Bootstrap bootstrap,
    Push push,
    Optional<Api> api,
    long blocksQuota) {

  /** The default peer port. */
  public static final int DEFAULT_P2P_PORT = 8900;

  /** Default of {@link #blocksQuota}: 16 GiB. */
  public static final long DEFAULT_BLOCKS_QUOTA = 16L << 30;

  /** Default of {@link #maxOutbound}: discovery's. */
  public static final int DEFAULT_MAX_OUTBOUND = DiscoveryConfig.DEFAULT_MAX_OUTBOUND;

  /** Default of {@link #maxInbound}: the transport's. */
  public static final int DEFAULT_MAX_INBOUND = PeerManager.Config.DEFAULT.maxInbound();

  /**
   * What a producer commits.
   *
   * @param updatesPerCommit random keys put in each commit; 0 for none: the node commits only what
   *     the application writes ({@link io.ferry.node.Node#commit}, the write API)
   * @param commitInterval time between commits
   * @param valueSize bytes per generated value
   */
  public record Producer(int updatesPerCommit, Duration commitInterval, int valueSize) {
    public Producer {
      if (updatesPerCommit < 0 || valueSize < 0 || commitInterval.toMillis() < 1) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "a producer needs updates per commit >= 0, a value size >= 0 and an interval of at"
                + " least 1 ms");
      }
    }

    /** Whether the producer commits generated updates, besides the application's writes. */
    public boolean generates() {
      return updatesPerCommit > 0;
    }
  }

  /**
   * When archives are made and how many are kept.
   *
   * @param fullInterval a full archive at every height that is a multiple of this (0: none)
   * @param incrementalInterval an incremental one at multiples of this in between (0: none)
   */
  public record Snapshots(
      long fullInterval,
      long incrementalInterval,
      int keepFull,
      int keepIncremental,
      int zstdLevel,
      int chunkSize) {
    public Snapshots {
      if (fullInterval < 0 || incrementalInterval < 0 || keepFull < 1 || keepIncremental < 0) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "snapshot intervals must be >= 0, keep-full >= 1 and keep-incremental >= 0");
      }
    }

    public boolean enabled() {
      return fullInterval > 0;
    }
  }

  /**
   * How an empty follower bootstraps: it chooses a snapshot from gossip, downloads it from every
   * advertiser and restores it before it follows (see docs/gossip.md).
   *
   * @param knownValidators whose snapshot advertisements count as votes; empty: the trusted
   *     producer's advertisement alone (with {@code --trust-root} and none, no bootstrap)
   * @param minAgreement how many known validators must advertise the same snapshot
   * @param maxWait the longest wait for a snapshot to qualify; zero turns bootstrapping off
   * @param method how the chosen snapshot is fetched
   */
  public record Bootstrap(
      List<NodeId> knownValidators, int minAgreement, Duration maxWait, Method method) {

    /** How an empty follower gets its first state. */
    public enum Method {
      /**
       * Chunks from peers (state sync) when they list the chosen snapshot, else HTTP, else proofs.
       */
      AUTO,
      /** The chosen snapshot's archives over HTTP from every advertiser (step 9). */
      HTTP,
      /** The chosen snapshot's chunks over the peer protocol (CometBFT state sync), else proofs. */
      CHUNKS,
      /** No snapshot: proof sync from the start. */
      PROOFS;

      /** Parses {@code auto|http|chunks|proofs}. */
      public static Method parse(String text) {
        try {
          return valueOf(text.strip().toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
          throw new FerryException(
              ErrorCode.INVALID_ARGUMENT,
              "bootstrap must be auto, http, chunks or proofs, not '" + text + "'");
        }
      }
    }

    /** Seconds a node waits by default for a snapshot to qualify. */
    public static final long DEFAULT_WAIT_SECONDS = 30;

    /** The default: the trusted producer's snapshot, waited for 30 s. */
    public static final Bootstrap DEFAULT =
        new Bootstrap(List.of(), 1, Duration.ofSeconds(DEFAULT_WAIT_SECONDS), Method.AUTO);

    public Bootstrap {
      knownValidators = List.copyOf(new java.util.TreeSet<>(knownValidators));
      if (maxWait.isNegative()) {
        throw new FerryException(ErrorCode.INVALID_ARGUMENT, "bootstrap-wait must be >= 0");
      }
      int n = knownValidators.size();
      if (minAgreement < 1 || (n > 0 && minAgreement > n)) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "min-agreement must be 1 to the number of known validators ("
                + n
                + "), got "
                + minAgreement);
      }
      if (n == 0 && minAgreement != 1) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT, "min-agreement counts known validators: add them");
      }
    }

    /** Whether an empty follower bootstraps from a snapshot at all. */
    public boolean enabled() {
      return !maxWait.isZero() && method != Method.PROOFS;
    }
  }

  /**
   * A follower's push subscription (docs/push.md). Every node pushes to its own subscribers
   * whatever this says.
   *
   * @param enabled whether a follower subscribes ({@code --no-push} turns it off)
   * @param window how long each subscription stays open before it is renewed ({@code
   *     --push-window})
   * @param budget bytes of pushes each subscription takes before it is renewed ({@code
   *     --push-bytes})
   */
  public record Push(boolean enabled, Duration window, long budget) {
    public static final Push DEFAULT =
        new Push(true, PushConfig.DEFAULT_WINDOW, PushConfig.DEFAULT_BUDGET);

    public Push {
      if (window.toSeconds() < 1 || window.toSeconds() > Limits.MAX_SUBSCRIPTION_SECONDS) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "push-window is 1 to " + Limits.MAX_SUBSCRIPTION_SECONDS + " seconds");
      }
      if (budget < 1) {
        throw new FerryException(ErrorCode.INVALID_ARGUMENT, "push-bytes must be positive");
      }
    }

    /** The push sync's settings for these. */
    public PushConfig config() {
      return PushConfig.DEFAULT.withWindow(window).withBudget(budget);
    }
  }

  /**
   * The write API: the application's commits over HTTP on a listener of its own (docs/api.md).
   *
   * @param bind where it listens; beyond loopback only with a token
   * @param tokenFile a file whose one line is the bearer token every request must carry
   */
  public record Api(InetSocketAddress bind, Optional<Path> tokenFile) {
    /** The port the docs and examples use. */
    public static final int DEFAULT_PORT = 8898;

    public Api {
      InetAddress host = bind.getAddress();
      if (tokenFile.isEmpty() && (host == null || !host.isLoopbackAddress())) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "the write API would listen on "
                + bind.getHostString()
                + ", beyond loopback, where anyone who reaches it could commit: give it a token"
                + " (--api-token-file FILE) or bind it to 127.0.0.1");
      }
    }
  }

  public NodeConfig {
    peers = List.copyOf(peers);
    entrypoints = List.copyOf(entrypoints);
    if (maxOutbound < 1 || maxInbound < 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "max-outbound must be at least 1 and max-inbound at least 0");
    }
    if (blocksQuota < 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "blocks-quota must be >= 0");
    }
    if (workLimit < 1) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "the work limit must be at least 1");
    }
    if (producer.isPresent() && (trustProducer.isPresent() || trustRoot.isPresent())) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a producer trusts itself: --trust-producer and --trust-root are for followers");
    }
    if (!bootstrap.knownValidators().isEmpty() && trustProducer.isEmpty() && trustRoot.isEmpty()) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "known validators choose a follower's snapshot: add --trust-producer or --trust-root,"
              + " which says what heads to follow");
    }
  }

  /** Whether this node finds its peers through gossip, starting at {@link #entrypoints}. */
  public boolean discovers() {
    return !entrypoints.isEmpty();
  }

  public boolean produces() {
    return producer.isPresent();
  }

  /**
   * A follower syncs to a trusted producer's heads; a node that neither produces nor follows serves
   * the store it has (proofs, snapshots, HTTP).
   */
  public boolean follows() {
    return trustProducer.isPresent() || trustRoot.isPresent();
  }

  public Path stateDir() {
    return data.resolve("state");
  }

  public Path snapshotDir() {
    return data.resolve("snapshots");
  }

  public Path stagingDir() {
    return data.resolve("sync-staging");
  }

  /** Where an empty follower downloads and restores the snapshot it bootstraps from. */
  public Path bootstrapDir() {
    return data.resolve("bootstrap");
  }

  /** The block store: content-addressed datasets (docs/blocks.md). */
  public Path blocksDir() {
    return data.resolve("blocks");
  }

  public Path logDir() {
    return data.resolve("logs");
  }
}
