package io.ferry.node;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.gossip.cluster.ClusterNode;
import java.util.List;

/**
 * What {@code GET /status} answers, as JSON: who the node is, where its store is, its peers, its
 * sync and its snapshots. Field names are snake_case and stable; absent values are left out.
 *
 * @param recent the store's newest revisions, newest first (at most {@link #RECENT}): a client
 *     polling now and then still sees the root of every height, even between two polls
 * @param cluster every node this node's gossip table holds a contact info of, sorted by id
 * @param traffic bytes moved since the node started; a client that polls gets throughput from the
 *     difference of two answers
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
    TrafficStatus traffic) {

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
   * Bytes moved since the node started, each a counter that only grows: envelope bytes received
   * from and sent to peers over every protocol ({@code ferry_net_bytes_total}), and HTTP response
   * bytes sent ({@code ferry_http_bytes_sent_total}, archives and this status included).
   */
  public record TrafficStatus(
      @JsonProperty("p2p_in") long p2pIn,
      @JsonProperty("p2p_out") long p2pOut,
      @JsonProperty("http_out") long httpOut) {}

  /** One archive the node serves. */
  public record SnapshotStatus(String name, String kind, long height, long bytes) {}
}
