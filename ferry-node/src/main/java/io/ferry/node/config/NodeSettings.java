package io.ferry.node.config;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.dataformat.toml.TomlMapper;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.IoErrors;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.plane.GossipConfig;
import io.ferry.net.PeerAddress;
import io.ferry.snapshot.SnapshotConfig;
import io.ferry.snapshot.SnapshotRetention;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * A node's settings as written in a TOML file (keys as the flags, without the dashes in front) and
 * overridden by flags: every field is optional, and {@link #toConfig} fills in the defaults and
 * validates. Not thread-safe; a mutable holder used once at start-up.
 *
 * <pre>
 * data = "/var/lib/ferry"
 * p2p = "0.0.0.0:8900"
 * http = "0.0.0.0:8899"          # "off" for none
 * peers = ["2bQm…@10.0.0.2:8900"]
 * entrypoints = ["10.0.0.2:8900"] # learn the network from gossip
 * advertise = "203.0.113.7"      # the host others dial; needed when p2p binds 0.0.0.0
 * trust-producer = "2bQm…"
 * api = "127.0.0.1:8898"         # the write API; off unless set
 * api-token-file = "/etc/ferry/api-token"
 * blocks-quota = "16GiB"         # what the block store may hold
 *
 * [producer]                     # with produce = true
 * updates-per-commit = 1000
 * commit-interval-ms = 1000
 *
 * [snapshots]
 * full-interval = 100
 * incremental-interval = 25
 * </pre>
 */
public final class NodeSettings {
  public String data;
  public String p2p;
  public String http;
  public List<String> peers;
  public String key;
  public Boolean produce;

  @JsonProperty("trust-producer")
  public String trustProducer;

  @JsonProperty("trust-root")
  public String trustRoot;

  @JsonProperty("work-limit")
  public Integer workLimit;

  @JsonProperty("head-interval-ms")
  public Long headIntervalMs;

  @JsonProperty("egress-mib")
  public Double egressMib;

  /** The network name: nodes gossip only with nodes of the same one. */
  public String network;

  /** {@code HOST:PORT}s to learn the network from; turns discovery on. */
  public List<String> entrypoints;

  @JsonProperty("max-outbound")
  public Integer maxOutbound;

  @JsonProperty("max-inbound")
  public Integer maxInbound;

  /** The host other nodes are told to dial. */
  public String advertise;

  /** Nodes whose snapshot advertisements count as votes when an empty follower bootstraps. */
  @JsonProperty("known-validators")
  public List<String> knownValidators;

  /** How many known validators must advertise the same snapshot (default 1). */
  @JsonProperty("min-agreement")
  public Integer minAgreement;

  /** Seconds an empty follower waits for a snapshot to qualify; 0 turns bootstrapping off. */
  @JsonProperty("bootstrap-wait")
  public Long bootstrapWait;

  /** How an empty follower gets its first state: auto, http, chunks or proofs. */
  @JsonProperty("bootstrap")
  public String bootstrap;

  /** MiB/s each peer connection may send; absent for no cap. */
  @JsonProperty("p2p-egress-mib")
  public Double p2pEgressMib;

  /** Whether a follower subscribes to pushes (default true). */
  public Boolean push;

  /** Seconds a push subscription stays open before it is renewed. */
  @JsonProperty("push-window")
  public Long pushWindow;

  /** Bytes of pushes a subscription takes before it is renewed. */
  @JsonProperty("push-bytes")
  public Long pushBytes;

  /** {@code HOST:PORT} of the write API ({@code POST /v1/commit}); absent or "off" for none. */
  public String api;

  /** A file holding the bearer token the write API asks of every request. */
  @JsonProperty("api-token-file")
  public String apiTokenFile;

  /** Bytes the block store may hold: a number, or with a suffix such as 16GiB (default 16 GiB). */
  @JsonProperty("blocks-quota")
  public String blocksQuota;

  public ProducerSettings producer = new ProducerSettings();
  public SnapshotSettings snapshots = new SnapshotSettings();

  /** The {@code [producer]} table. */
  public static final class ProducerSettings {
    @JsonProperty("updates-per-commit")
    public Integer updatesPerCommit;

    @JsonProperty("commit-interval-ms")
    public Long commitIntervalMs;

    @JsonProperty("value-size")
    public Integer valueSize;
  }

  /** The {@code [snapshots]} table. */
  public static final class SnapshotSettings {
    @JsonProperty("full-interval")
    public Long fullInterval;

    @JsonProperty("incremental-interval")
    public Long incrementalInterval;

    @JsonProperty("keep-full")
    public Integer keepFull;

    @JsonProperty("keep-incremental")
    public Integer keepIncremental;

    @JsonProperty("zstd-level")
    public Integer zstdLevel;

    @JsonProperty("chunk-size")
    public Integer chunkSize;
  }

  /** Defaults: 1,000 updates a second in one commit; a full archive every 100 commits. */
  public static final int DEFAULT_UPDATES_PER_COMMIT = 1000;

  public static final long DEFAULT_COMMIT_INTERVAL_MS = 1000;
  public static final int DEFAULT_VALUE_SIZE = 100;
  public static final long DEFAULT_FULL_INTERVAL = 100;
  public static final long DEFAULT_INCREMENTAL_INTERVAL = 25;
  public static final long DEFAULT_HEAD_INTERVAL_MS = 1000;

  /**
   * Reads a TOML file; an unknown key or a wrong type is an error that names it, and a file that
   * cannot be read says why ({@link IoErrors#cannotRead}: a missing file is NOT_FOUND).
   */
  public static NodeSettings read(Path file) {
    TomlMapper mapper =
        TomlMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.KEBAB_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();
    String text;
    try {
      text = Files.readString(file);
    } catch (CharacterCodingException e) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, file + ": not UTF-8 text");
    } catch (IOException e) {
      throw IoErrors.cannotRead(file, e);
    }
    try {
      return mapper.readValue(text, NodeSettings.class);
    } catch (UnrecognizedPropertyException e) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          file + ": unknown setting '" + e.getPropertyName() + "' at " + path(e));
    } catch (JsonMappingException e) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          file + ": bad value at " + path(e) + ": " + e.getOriginalMessage());
    } catch (JsonProcessingException e) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, file + ": not TOML: " + e.getOriginalMessage());
    }
  }

  private static String path(JsonMappingException e) {
    StringBuilder b = new StringBuilder();
    for (JsonMappingException.Reference r : e.getPath()) {
      if (r.getFieldName() != null) {
        b.append(b.isEmpty() ? "" : ".").append(r.getFieldName());
      } else {
        b.append('[').append(r.getIndex()).append(']');
      }
    }
    return b.isEmpty() ? "the top" : b.toString();
  }

  /** Fills in defaults and checks every value. */
  public NodeConfig toConfig() {
    if (data == null || data.isBlank()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "no data directory (--data)");
    }
    Path dir = Path.of(data);
    InetSocketAddress p2pBind =
        listenAddress(p2p == null ? "0.0.0.0:" + NodeConfig.DEFAULT_P2P_PORT : p2p, "p2p");
    Optional<InetSocketAddress> httpBind =
        http != null && http.equalsIgnoreCase("off")
            ? Optional.empty()
            : Optional.of(listenAddress(http == null ? "0.0.0.0:8899" : http, "http"));
    List<PeerAddress> peerList = new ArrayList<>();
    for (String p : peers == null ? List.<String>of() : peers) {
      peerList.add(PeerAddress.parse(p));
    }
    List<PeerAddress> entryList = new ArrayList<>();
    for (String e : entrypoints == null ? List.<String>of() : entrypoints) {
      entryList.add(PeerAddress.parse(e));
    }
    Optional<NodeConfig.Producer> prod = Optional.empty();
    if (Boolean.TRUE.equals(produce)) {
      prod =
          Optional.of(
              new NodeConfig.Producer(
                  or(producer.updatesPerCommit, DEFAULT_UPDATES_PER_COMMIT),
                  Duration.ofMillis(or(producer.commitIntervalMs, DEFAULT_COMMIT_INTERVAL_MS)),
                  or(producer.valueSize, DEFAULT_VALUE_SIZE)));
    }
    Optional<NodeId> producerId = Optional.empty();
    if (trustProducer != null) {
      try {
        producerId = Optional.of(NodeId.parse(trustProducer.strip()));
      } catch (RuntimeException e) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT,
            "bad trust-producer '" + trustProducer + "': " + e.getMessage());
      }
    }
    Optional<Hash> root = Optional.empty();
    if (trustRoot != null) {
      try {
        root = Optional.of(Hash.fromHex(trustRoot.strip()));
      } catch (RuntimeException e) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT, "bad trust-root '" + trustRoot + "': " + e.getMessage());
      }
    }
    if (p2pEgressMib != null && p2pEgressMib < 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "p2p-egress-mib must be >= 0");
    }
    if (egressMib != null && egressMib < 0) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "egress-mib must be >= 0");
    }
    NodeConfig.Snapshots snaps =
        new NodeConfig.Snapshots(
            or(snapshots.fullInterval, DEFAULT_FULL_INTERVAL),
            or(snapshots.incrementalInterval, DEFAULT_INCREMENTAL_INTERVAL),
            or(snapshots.keepFull, SnapshotRetention.DEFAULT_KEEP_FULL),
            or(snapshots.keepIncremental, SnapshotRetention.DEFAULT_KEEP_INCREMENTAL),
            or(snapshots.zstdLevel, SnapshotConfig.DEFAULT_ZSTD_LEVEL),
            or(snapshots.chunkSize, SnapshotConfig.DEFAULT_CHUNK_SIZE));
    String net = or(network, GossipConfig.DEFAULT_NETWORK);
    int netBytes = net.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    if (netBytes == 0 || netBytes > Limits.MAX_NETWORK_NAME_BYTES) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a network name is 1 to " + Limits.MAX_NETWORK_NAME_BYTES + " bytes: '" + net + "'");
    }
    List<NodeId> validators = new ArrayList<>();
    for (String v : knownValidators == null ? List.<String>of() : knownValidators) {
      try {
        validators.add(NodeId.parse(v.strip()));
      } catch (RuntimeException e) {
        throw new FerryException(
            ErrorCode.INVALID_ARGUMENT, "bad known-validator '" + v + "': " + e.getMessage());
      }
    }
    NodeConfig.Bootstrap boot =
        new NodeConfig.Bootstrap(
            validators,
            or(minAgreement, 1),
            Duration.ofSeconds(or(bootstrapWait, NodeConfig.Bootstrap.DEFAULT_WAIT_SECONDS)),
            bootstrap == null
                ? NodeConfig.Bootstrap.Method.AUTO
                : NodeConfig.Bootstrap.Method.parse(bootstrap));
    Optional<NodeConfig.Api> writeApi = Optional.empty();
    if (api != null && !api.equalsIgnoreCase("off")) {
      writeApi =
          Optional.of(
              new NodeConfig.Api(
                  listenAddress(api, "api"),
                  apiTokenFile == null ? Optional.empty() : Optional.of(Path.of(apiTokenFile))));
    } else if (apiTokenFile != null) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, "api-token-file is the write API's token: add api HOST:PORT");
    }
    return new NodeConfig(
        dir,
        p2pBind,
        httpBind,
        peerList,
        key == null ? dir.resolve("node.key") : Path.of(key),
        prod,
        producerId,
        root,
        or(workLimit, 8),
        Duration.ofMillis(or(headIntervalMs, DEFAULT_HEAD_INTERVAL_MS)),
        snaps,
        egressMib == null ? 0 : (long) (egressMib * (1 << 20)),
        p2pEgressMib == null ? 0 : (long) (p2pEgressMib * (1 << 20)),
        net,
        entryList,
        or(maxOutbound, NodeConfig.DEFAULT_MAX_OUTBOUND),
        or(maxInbound, NodeConfig.DEFAULT_MAX_INBOUND),
        advertise == null ? Optional.empty() : Optional.of(advertiseHost(advertise)),
        boot,
        new NodeConfig.Push(
            or(push, true),
            pushWindow == null ? NodeConfig.Push.DEFAULT.window() : Duration.ofSeconds(pushWindow),
            or(pushBytes, NodeConfig.Push.DEFAULT.budget())),
        writeApi,
        blocksQuota == null
            ? NodeConfig.DEFAULT_BLOCKS_QUOTA
            : ByteSize.parse(blocksQuota, "blocks-quota"));
  }

  /**
   * The host of {@code --advertise}: a name or an IP literal (IPv6 with or without brackets), not a
   * wildcard address, without a port.
   */
  static String advertiseHost(String text) {
    String host = text.strip();
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    boolean ipv6 = host.indexOf(':') != host.lastIndexOf(':');
    if (host.isEmpty()
        || (!ipv6 && host.indexOf(':') >= 0)
        || host.chars().anyMatch(c -> c <= ' ' || c == '/' || c == '@' || c == '[' || c == ']')) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "advertise takes a host name or IP address without a port, got '" + text + "'");
    }
    if (host.equals("0.0.0.0") || host.equals("::") || host.equals("0:0:0:0:0:0:0:0")) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "advertise names the host others dial; " + host + " is no one's address");
    }
    if (host.length() > Limits.MAX_CONTACT_FIELD_CHARS - 8) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "advertise: host name too long");
    }
    return host;
  }

  private static <T> T or(T value, T otherwise) {
    return value != null ? value : otherwise;
  }

  /** {@code HOST:PORT} to listen on; port 0 picks a free one. */
  public static InetSocketAddress listenAddress(String text, String what) {
    int colon = text.lastIndexOf(':');
    if (colon <= 0 || text.indexOf('@') >= 0) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT, what + " takes HOST:PORT, got '" + text + "'");
    }
    String host = text.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(text.substring(colon + 1));
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 0 || port > 65535) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, what + ": bad port in '" + text + "'");
    }
    InetSocketAddress address = new InetSocketAddress(host, port);
    if (address.isUnresolved()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, what + ": unknown host '" + host + "'");
    }
    return address;
  }
}
