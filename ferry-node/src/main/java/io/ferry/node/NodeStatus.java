package io.ferry.node;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.core.identity.NodeId;
import io.ferry.gossip.cluster.ClusterNode;
import io.ferry.node.bootstrap.Bootstrap;
import io.ferry.node.bootstrap.SnapshotChoice;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code GET /status} answers, as JSON: who the node is, where its store is, its peers, its
 * sync and its snapshots. Field names are snake_case and stable; absent values are left out.
 *
 * @param recent the store's newest revisions, newest first (at most {@link #RECENT}): a client
 *     polling now and then still sees the root of every height, even between two polls
 * @param cluster every node this node's gossip table holds a contact info of, sorted by id
 * @param traffic bytes moved since the node started; a client that polls gets throughput from the
 *     difference of two answers
 * @param bootstrap the snapshot bootstrap of an empty follower, when one ran
 * @param push what this node pushes to its subscribers and, on a follower that subscribes, where
 *     its own pushes come from
 * @param blocks the block store and the block exchange: datasets held, downloads running
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record NodeStatus(
    @JsonProperty("node_id") String nodeId,
    String role,
    String phase,
    long height,
    String root,
    List<RevisionStatus> recent,
    @JsonProperty("head") HeadStatus head,
    List<String> peers,
    @JsonProperty("sync") SyncStatus sync,
    List<SnapshotStatus> snapshots,
    String p2p,
    String http,
    String network,
    List<ClusterStatus> cluster,
    TrafficStatus traffic,
    BootstrapStatus bootstrap,
    PushStatus push,
    BlocksStatus blocks) {

  /** Revisions listed in {@link #recent}. */
  public static final int RECENT = 16;

  /** One revision of the store. */
  public record RevisionStatus(long height, String root) {}

  /** The newest trusted head the node knows. */
  public record HeadStatus(long height, String root, String producer) {}

  /** The running or last full proof sync. */
  public record SyncStatus(
      long keys,
      long bytes,
      long proofs,
      @JsonProperty("ranges_done") int rangesDone,
      double covered,
      @JsonProperty("target_updates") int targetUpdates,
      long failures,
      long lies) {}

  /** One node of the network, as this node's gossip table shows it. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ClusterStatus(
      String id,
      String p2p,
      String http,
      String network,
      String version,
      @JsonProperty("head_height") Long headHeight,
      SlotStatus full,
      List<SlotStatus> incrementals,
      long wallclock) {

    /** The row {@code node} makes. */
    public static ClusterStatus of(ClusterNode node) {
      return new ClusterStatus(
          node.id().toString(),
          node.contact().p2p(),
          node.contact().http().isEmpty() ? null : node.contact().http(),
          node.contact().network(),
          node.contact().version(),
          node.headHeight().isPresent() ? node.headHeight().getAsLong() : null,
          node.snapshots().map(s -> SlotStatus.of(s.full())).orElse(null),
          node.snapshots()
              .map(s -> s.incrementals().stream().map(SlotStatus::of).toList())
              .orElse(List.of()),
          node.wallclock());
    }
  }

  /** One advertised archive: its height and hash. */
  public record SlotStatus(long height, String hash) {
    static SlotStatus of(SnapshotHashes.Slot slot) {
      return new SlotStatus(slot.height(), slot.hash().toHex());
    }
  }

  /**
   * The snapshot bootstrap: which snapshot was chosen, who advertised it, why the others were
   * rejected, and how the download went.
   *
   * @param phase {@code waiting}, {@code downloading}, {@code restoring}, {@code done} or {@code
   *     fallback} (the node proof-syncs instead; {@code reason} says why)
   * @param chosen the snapshot chosen (the last choice while waiting)
   * @param advertisers the nodes that serve it, by id
   * @param rejected every other advertised (full, incremental) pair, with why
   * @param servers each server downloaded from: bytes it sent, and why it was dropped if it was
   * @param bytes archive bytes downloaded
   * @param seconds since the bootstrap started, until it ended
   * @param reason what was restored, or why nothing was
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record BootstrapStatus(
      String phase,
      ChosenStatus chosen,
      List<String> advertisers,
      List<RejectedStatus> rejected,
      List<ServerStatus> servers,
      long bytes,
      double seconds,
      String reason) {

    /** Rejected pairs listed at most: the rest are counted in the last entry's reason. */
    public static final int REJECTED_SHOWN = 32;

    /** The status a bootstrap's report makes. */
    public static BootstrapStatus of(Bootstrap.Report r) {
      SnapshotChoice.Chosen chosen = r.choice().flatMap(SnapshotChoice::chosen).orElse(null);
      List<SnapshotChoice.Rejected> all =
          r.choice().map(SnapshotChoice::rejected).orElse(List.of());
      List<RejectedStatus> rejected = new ArrayList<>();
      for (SnapshotChoice.Rejected x : all.subList(0, Math.min(all.size(), REJECTED_SHOWN))) {
        rejected.add(
            new RejectedStatus(
                SlotStatus.of(x.full()),
                x.incremental().map(SlotStatus::of).orElse(null),
                x.reason()));
      }
      if (all.size() > REJECTED_SHOWN) {
        rejected.add(
            new RejectedStatus(
                null, null, (all.size() - REJECTED_SHOWN) + " more rejected, not listed"));
      }
      return new BootstrapStatus(
          r.phase().name().toLowerCase(Locale.ROOT),
          chosen == null
              ? null
              : new ChosenStatus(
                  SlotStatus.of(chosen.full()),
                  chosen.incremental().map(SlotStatus::of).orElse(null),
                  chosen.votes(),
                  chosen.incremental().isPresent() ? chosen.incrementalVotes() : null),
          chosen == null ? List.of() : chosen.advertisers().stream().map(NodeId::toString).toList(),
          rejected,
          r.servers().stream()
              .map(s -> new ServerStatus(s.id().toString(), s.bytes(), s.dropped()))
              .toList(),
          r.bytes(),
          Math.round(r.seconds() * 1000) / 1000.0,
          r.reason());
    }
  }

  /** The snapshot a bootstrap chose, and how many validators vouched for each part. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ChosenStatus(
      SlotStatus full,
      SlotStatus incremental,
      int votes,
      @JsonProperty("incremental_votes") Integer incrementalVotes) {}

  /** An advertised snapshot a bootstrap did not choose. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record RejectedStatus(SlotStatus full, SlotStatus incremental, String reason) {}

  /** A server a bootstrap downloaded from. */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record ServerStatus(String id, long bytes, String dropped) {}

  /**
   * Bytes moved since the node started, each a counter that only grows: envelope bytes received
   * from and sent to peers over every protocol ({@code ferry_net_bytes_total}), and HTTP response
   * bytes sent ({@code ferry_http_bytes_sent_total}, archives and this status included).
   */
  public record TrafficStatus(
      @JsonProperty("p2p_in") long p2pIn,
      @JsonProperty("p2p_out") long p2pOut,
      @JsonProperty("http_out") long httpOut) {}

  /**
   * Push sync (docs/push.md): the subscriptions this node holds open for its peers and what it sent
   * them; and, on a subscribing follower, the peer it subscribes to and what became of the commits
   * it pushed.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record PushStatus(
      int subscribers,
      @JsonProperty("commits_pushed") long commitsPushed,
      @JsonProperty("bytes_pushed") long bytesPushed,
      String source,
      Long applied,
      Long gaps,
      @JsonProperty("wrong_roots") Long wrongRoots) {}

  /**
   * One archive the node serves.
   *
   * @param datasetCid the manifest CID of the archive as a dataset in the block store, once it is
   *     imported: any node holding it serves it by that CID ({@code ferry blocks get})
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record SnapshotStatus(
      String name,
      String kind,
      long height,
      long bytes,
      @JsonProperty("dataset_cid") String datasetCid) {}

  /**
   * The block store and exchange.
   *
   * @param usedBytes bytes stored (each block once, with index entries and manifests)
   * @param quotaBytes what the store may hold before it evicts
   * @param datasets every dataset held, by tree then manifest CID
   * @param downloads the downloads running now
   */
  public record BlocksStatus(
      @JsonProperty("used_bytes") long usedBytes,
      @JsonProperty("quota_bytes") long quotaBytes,
      @JsonProperty("blocks_sent") long blocksSent,
      @JsonProperty("bytes_sent") long bytesSent,
      @JsonProperty("blocks_received") long blocksReceived,
      @JsonProperty("bytes_received") long bytesReceived,
      List<DatasetStatus> datasets,
      List<DownloadStatus> downloads) {}

  /**
   * One dataset in the block store; {@code cid} is absent for a tree whose manifest is not here.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  public record DatasetStatus(
      String cid,
      @JsonProperty("tree_cid") String treeCid,
      String filename,
      Long size,
      @JsonProperty("held_blocks") int heldBlocks,
      Integer blocks,
      boolean complete,
      boolean pinned) {}

  /** One download running: blocks of the content held of all, and from how many peers. */
  public record DownloadStatus(
      String cid,
      String filename,
      long size,
      int blocks,
      int held,
      long bytes,
      int peers,
      int inflight,
      int repaired) {}
}
