package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;

/**
 * The snapshots peers advertised and who advertised each, with the syncer's reject lists (as
 * CometBFT's snapshotPool): rejected snapshots, formats and peers are never offered or used again
 * in this sync. Ranked by height, then format, then number of peers, highest first; ties by hash,
 * so the order is deterministic.
 *
 * <p>Not thread-safe: the syncer uses it on its scheduler only.
 */
public final class SnapshotPool {
  /** What makes two advertisements the same snapshot. */
  public record Key(long height, int format, Bytes hash) {
    static Key of(Snapshot s) {
      return new Key(s.height(), s.format(), s.hash());
    }
  }

  private static final Comparator<Entry> RANK =
      Comparator.<Entry>comparingLong(e -> e.snapshot.height())
          .thenComparingInt(e -> e.snapshot.format())
          .thenComparingInt(e -> e.peers.size())
          .thenComparing(e -> e.snapshot.hash())
          .reversed();

  private static final class Entry {
    final Snapshot snapshot;
    final TreeSet<NodeId> peers = new TreeSet<>();

    Entry(Snapshot snapshot) {
      this.snapshot = snapshot;
    }
  }

  private final java.util.SequencedMap<Key, Entry> snapshots = new java.util.LinkedHashMap<>();
  private final Set<Key> rejected = new HashSet<>();
  private final Set<Integer> rejectedFormats = new HashSet<>();
  private final java.util.SortedSet<NodeId> rejectedPeers = new TreeSet<>();

  /**
   * Records that {@code peer} holds {@code snapshot}. A snapshot whose key matches another with
   * other chunks or metadata is a different claim: the first one seen is kept and the peer is not
   * added (its snapshot would fail the application's checks anyway).
   *
   * @return whether the snapshot is new to the pool and may be offered
   */
  public boolean add(NodeId peer, Snapshot snapshot) {
    Key key = Key.of(snapshot);
    if (rejectedPeers.contains(peer)
        || rejected.contains(key)
        || rejectedFormats.contains(snapshot.format())) {
      return false;
    }
    Entry e = snapshots.get(key);
    if (e == null) {
      e = new Entry(snapshot);
      snapshots.put(key, e);
      e.peers.add(peer);
      return true;
    }
    if (e.snapshot.equals(snapshot)) {
      e.peers.add(peer);
    }
    return false;
  }

  /** The best snapshot that has a peer and passes {@code usable}. */
  public Optional<Snapshot> best(Predicate<Snapshot> usable) {
    return snapshots.values().stream()
        .filter(e -> !e.peers.isEmpty())
        .sorted(RANK)
        .map(e -> e.snapshot)
        .filter(usable)
        .findFirst();
  }

  /** Every snapshot with a peer, best first. */
  public List<Snapshot> ranked() {
    List<Entry> all = new ArrayList<>(snapshots.values());
    all.removeIf(e -> e.peers.isEmpty());
    all.sort(RANK);
    return all.stream().map(e -> e.snapshot).toList();
  }

  /** The peers that advertised {@code snapshot} and are neither rejected nor gone, sorted. */
  public List<NodeId> peers(Snapshot snapshot) {
    Entry e = snapshots.get(Key.of(snapshot));
    return e == null ? List.of() : List.copyOf(e.peers);
  }

  /** Never offers {@code snapshot} again. */
  public void reject(Snapshot snapshot) {
    Key key = Key.of(snapshot);
    rejected.add(key);
    snapshots.remove(key);
  }

  /** Never offers a snapshot of {@code format} again. */
  public void rejectFormat(int format) {
    rejectedFormats.add(format);
    snapshots.keySet().removeIf(k -> k.format() == format);
  }

  /** Never uses {@code peer} again in this sync. */
  public void rejectPeer(NodeId peer) {
    rejectedPeers.add(peer);
    removePeer(peer);
  }

  public boolean isRejected(NodeId peer) {
    return rejectedPeers.contains(peer);
  }

  public Set<NodeId> rejectedPeers() {
    return Set.copyOf(rejectedPeers);
  }

  /** {@code peer} went away: its snapshots lose it until it advertises them again. */
  public void removePeer(NodeId peer) {
    for (Entry e : snapshots.values()) {
      e.peers.remove(peer);
    }
  }

  /** Snapshots known, with or without peers. */
  public int size() {
    return snapshots.size();
  }

  public int rejectedCount() {
    return rejected.size();
  }
}
