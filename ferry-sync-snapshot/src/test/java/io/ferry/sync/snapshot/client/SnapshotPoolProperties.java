package io.ferry.sync.snapshot.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Predicate;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The snapshot pool against a model written the plainest way: after any sequence of listings,
 * rejections and departures, the pool's best snapshot, its ranking and each snapshot's peers are
 * the model's. Few heights, formats, hashes and peers, so that keys collide and ties happen.
 */
class SnapshotPoolProperties {
  private static final List<NodeId> PEERS = List.of(peer(1), peer(2), peer(3), peer(4));

  sealed interface Action permits Add, Reject, RejectFormat, RejectPeer, RemovePeer {}

  record Add(NodeId peer, Snapshot snapshot) implements Action {}

  record Reject(Snapshot snapshot) implements Action {}

  record RejectFormat(int format) implements Action {}

  record RejectPeer(NodeId peer) implements Action {}

  record RemovePeer(NodeId peer) implements Action {}

  @Property(tries = 300)
  void theBestSnapshotIsTheModels(@ForAll("actions") List<Action> actions) {
    SnapshotPool pool = new SnapshotPool();
    Model model = new Model();
    Predicate<Snapshot> notHeightTwo = s -> s.height() != 2;
    for (Action a : actions) {
      switch (a) {
        case Add add ->
            assertThat(pool.add(add.peer(), add.snapshot()))
                .as("%s", a)
                .isEqualTo(model.add(add.peer(), add.snapshot()));
        case Reject r -> {
          pool.reject(r.snapshot());
          model.reject(r.snapshot());
        }
        case RejectFormat f -> {
          pool.rejectFormat(f.format());
          model.rejectFormat(f.format());
        }
        case RejectPeer p -> {
          pool.rejectPeer(p.peer());
          model.rejectPeer(p.peer());
        }
        case RemovePeer p -> {
          pool.removePeer(p.peer());
          model.removePeer(p.peer());
        }
      }
      assertThat(pool.best(s -> true)).as("best after %s", a).isEqualTo(model.best(s -> true));
      assertThat(pool.best(notHeightTwo)).isEqualTo(model.best(notHeightTwo));
      assertThat(pool.ranked()).isEqualTo(model.ranked());
      for (Snapshot s : model.ranked()) {
        assertThat(pool.peers(s)).isEqualTo(List.copyOf(model.peers.get(Model.key(s))));
      }
      assertThat(pool.rejectedPeers()).isEqualTo(model.rejectedPeers);
      for (NodeId p : PEERS) {
        assertThat(pool.isRejected(p)).isEqualTo(model.rejectedPeers.contains(p));
      }
    }
  }

  @Test
  void ranksByHeightThenFormatThenPeers() {
    SnapshotPool pool = new SnapshotPool();
    Snapshot a = snapshot(5, 1, 1, 1);
    Snapshot b = snapshot(5, 2, 2, 1);
    Snapshot c = snapshot(5, 1, 3, 1);
    Snapshot d = snapshot(6, 0, 4, 1);
    pool.add(PEERS.get(0), a);
    pool.add(PEERS.get(0), b);
    pool.add(PEERS.get(0), c);
    pool.add(PEERS.get(1), c);
    assertThat(pool.ranked()).containsExactly(b, c, a);
    pool.add(PEERS.get(2), d);
    assertThat(pool.best(s -> true)).contains(d);
    pool.removePeer(PEERS.get(2));
    assertThat(pool.best(s -> true)).as("a snapshot nobody holds now").contains(b);
    assertThat(pool.size()).isEqualTo(4);
  }

  @Test
  void aSecondClaimOnAKeyWithOtherContentIsNotTaken() {
    SnapshotPool pool = new SnapshotPool();
    Snapshot first = snapshot(5, 1, 1, 1);
    Snapshot other = snapshot(5, 1, 1, 2); // same height, format and hash; other chunk count
    assertThat(pool.add(PEERS.get(0), first)).isTrue();
    assertThat(pool.add(PEERS.get(1), other)).isFalse();
    assertThat(pool.peers(first)).containsExactly(PEERS.get(0));
    assertThat(pool.ranked()).containsExactly(first);
  }

  // ------------------------------------------------------------------ the model

  /** The pool as a list of rules, with no care for speed. */
  static final class Model {
    final Map<SnapshotPool.Key, Snapshot> snapshots = new HashMap<>();
    final Map<SnapshotPool.Key, TreeSet<NodeId>> peers = new HashMap<>();
    final Set<SnapshotPool.Key> rejected = new HashSet<>();
    final Set<Integer> rejectedFormats = new HashSet<>();
    final Set<NodeId> rejectedPeers = new HashSet<>();

    static SnapshotPool.Key key(Snapshot s) {
      return new SnapshotPool.Key(s.height(), s.format(), s.hash());
    }

    boolean add(NodeId peer, Snapshot s) {
      SnapshotPool.Key k = key(s);
      if (rejectedPeers.contains(peer)
          || rejected.contains(k)
          || rejectedFormats.contains(s.format())) {
        return false;
      }
      if (!snapshots.containsKey(k)) {
        snapshots.put(k, s);
        peers.put(k, new TreeSet<>(List.of(peer)));
        return true;
      }
      if (snapshots.get(k).equals(s)) {
        peers.get(k).add(peer);
      }
      return false;
    }

    void reject(Snapshot s) {
      rejected.add(key(s));
      snapshots.remove(key(s));
      peers.remove(key(s));
    }

    void rejectFormat(int format) {
      rejectedFormats.add(format);
      for (SnapshotPool.Key k : new ArrayList<>(snapshots.keySet())) {
        if (k.format() == format) {
          snapshots.remove(k);
          peers.remove(k);
        }
      }
    }

    void rejectPeer(NodeId p) {
      rejectedPeers.add(p);
      removePeer(p);
    }

    void removePeer(NodeId p) {
      peers.values().forEach(set -> set.remove(p));
    }

    List<Snapshot> ranked() {
      Comparator<Snapshot> better =
          Comparator.<Snapshot>comparingLong(Snapshot::height)
              .thenComparingInt(Snapshot::format)
              .thenComparingInt(s -> peers.get(key(s)).size())
              .thenComparing(Snapshot::hash)
              .reversed();
      return snapshots.values().stream()
          .filter(s -> !peers.get(key(s)).isEmpty())
          .sorted(better)
          .toList();
    }

    Optional<Snapshot> best(Predicate<Snapshot> usable) {
      return ranked().stream().filter(usable).findFirst();
    }
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<List<Action>> actions() {
    Arbitrary<NodeId> peer = Arbitraries.of(PEERS);
    Arbitrary<Snapshot> snapshot =
        Combinators.combine(
                Arbitraries.longs().between(1, 4),
                Arbitraries.integers().between(0, 2),
                Arbitraries.integers().between(1, 3),
                Arbitraries.integers().between(1, 2))
            .as(SnapshotPoolProperties::snapshot);
    Arbitrary<Action> action =
        Arbitraries.frequencyOf(
            net.jqwik.api.Tuple.of(8, Combinators.combine(peer, snapshot).as(Add::new)),
            net.jqwik.api.Tuple.of(1, snapshot.map(Reject::new)),
            net.jqwik.api.Tuple.of(1, Arbitraries.integers().between(0, 2).map(RejectFormat::new)),
            net.jqwik.api.Tuple.of(1, peer.map(RejectPeer::new)),
            net.jqwik.api.Tuple.of(2, peer.map(RemovePeer::new)));
    return action.list().ofMinSize(1).ofMaxSize(60);
  }

  private static Snapshot snapshot(long height, int format, int hash, int chunks) {
    return new Snapshot(height, format, chunks, Bytes.wrap(new byte[] {(byte) hash}), Bytes.EMPTY);
  }

  private static NodeId peer(int n) {
    byte[] key = new byte[NodeId.LENGTH];
    key[0] = (byte) n;
    return NodeId.of(key);
  }
}
