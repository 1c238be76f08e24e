package io.ferry.sync.snapshot;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.function.Supplier;

/**
 * A {@link SnapshotApplication} around another that records every call and lets a test script the
 * answers the inner one would not give: the rarer result codes on the restoring side, and missing,
 * corrupt or extra snapshots and chunks on the serving side. By default it passes everything
 * through. Thread-safe as far as the tests need: scripts are set before the run.
 */
final class ScriptedApplication implements SnapshotApplication {

  /** Decides an apply: call {@code inner} to apply for real, or answer without it. */
  @FunctionalInterface
  interface ApplyScript {
    ChunkApplied apply(int index, int attempt, NodeId sender, Supplier<ChunkApplied> inner);
  }

  /** Decides what a chunk load returns: {@code inner} is the real chunk. */
  @FunctionalInterface
  interface LoadScript {
    Optional<Bytes> load(long height, int index, Supplier<Optional<Bytes>> inner);
  }

  /** A chunk the application was given, and by whom. */
  record Applied(int index, NodeId sender) {}

  final SnapshotApplication inner;
  volatile BiFunction<Snapshot, Supplier<OfferResult>, OfferResult> offerScript =
      (s, inner) -> inner.get();
  volatile ApplyScript applyScript = (i, attempt, sender, inner) -> inner.get();
  volatile LoadScript loadScript = (h, i, inner) -> inner.get();
  final List<Snapshot> extraListings = new CopyOnWriteArrayList<>();

  final List<Snapshot> offered = new CopyOnWriteArrayList<>();
  final List<Applied> applied = new CopyOnWriteArrayList<>();
  private final Map<String, Integer> loads = new ConcurrentHashMap<>();

  ScriptedApplication(SnapshotApplication inner) {
    this.inner = inner;
  }

  /** Loads asked of this application for chunk {@code index} at {@code height}. */
  int loads(long height, int index) {
    return loads.getOrDefault(height + "/" + index, 0);
  }

  /** Loads asked in all. */
  int loads() {
    return loads.values().stream().mapToInt(Integer::intValue).sum();
  }

  /** Chunk indexes loaded more than once at {@code height}. */
  List<Integer> loadedTwice(long height, int chunks) {
    List<Integer> out = new ArrayList<>();
    for (int i = 0; i < chunks; i++) {
      if (loads(height, i) > 1) {
        out.add(i);
      }
    }
    return out;
  }

  /** Indexes applied, in order, attempts included. */
  List<Integer> appliedIndexes() {
    return applied.stream().map(Applied::index).toList();
  }

  @Override
  public List<Snapshot> listSnapshots() {
    List<Snapshot> out = new ArrayList<>(inner.listSnapshots());
    out.addAll(extraListings);
    return out;
  }

  @Override
  public OfferResult offerSnapshot(Snapshot snapshot, Bytes trustedAppHash) {
    offered.add(snapshot);
    return offerScript.apply(snapshot, () -> inner.offerSnapshot(snapshot, trustedAppHash));
  }

  @Override
  public Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
    loads.merge(height + "/" + index, 1, Integer::sum);
    return loadScript.load(height, index, () -> inner.loadSnapshotChunk(height, format, index));
  }

  @Override
  public ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
    int attempt = (int) applied.stream().filter(a -> a.index() == index).count();
    applied.add(new Applied(index, sender));
    return applyScript.apply(
        index, attempt, sender, () -> inner.applySnapshotChunk(index, chunk, sender));
  }

  @Override
  public boolean appliesOutOfOrder(Snapshot snapshot) {
    return inner.appliesOutOfOrder(snapshot);
  }

  @Override
  public BitSet appliedChunks(Snapshot snapshot) {
    return inner.appliedChunks(snapshot);
  }

  /** {@code chunk} with its first byte flipped. */
  static Bytes corrupt(Bytes chunk) {
    byte[] b = chunk.toByteArray();
    b[0] ^= 0x5a;
    return Bytes.wrap(b);
  }
}
