package io.ferry.sim.statesync;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The restoring node's application: the real one ({@code ArchiveApplication}) behind a script that
 * may answer in its place at chosen moments, with every call and answer noted in a log that
 * outlives the node's incarnations (the test's). By default it passes everything through.
 *
 * <p>Single-threaded, like the simulator.
 */
final class Scripted implements SnapshotApplication {

  /** Decides an offer: {@code real} asks the real application. */
  @FunctionalInterface
  interface OfferScript {
    OfferResult offer(Snapshot s, int offer, Supplier<OfferResult> real);
  }

  /** Decides an apply: {@code real} applies for real; {@code apply} counts from 0 in the run. */
  @FunctionalInterface
  interface ApplyScript {
    ChunkApplied apply(int index, int apply, NodeId sender, Supplier<ChunkApplied> real);
  }

  /** What the application was asked, and answered. */
  sealed interface Call {}

  /** An offer and its answer, at a virtual time. */
  record Offered(int incarnation, long nanos, Snapshot snapshot, OfferResult result)
      implements Call {}

  /**
   * A chunk given to the application, by whom, and its answer, at a virtual time; {@code real} when
   * the real application answered, not the script.
   */
  record Applied(
      int incarnation, long nanos, int index, NodeId sender, ApplyResult result, boolean real)
      implements Call {}

  static final OfferScript PASS_OFFERS = (s, n, real) -> real.get();
  static final ApplyScript PASS_APPLIES = (i, n, sender, real) -> real.get();

  private final SnapshotApplication real;
  private final int incarnation;
  private final LongSupplier nanos;
  private final OfferScript offers;
  private final ApplyScript applies;
  private final List<Call> log;

  Scripted(
      SnapshotApplication real,
      int incarnation,
      LongSupplier nanos,
      OfferScript offers,
      ApplyScript applies,
      List<Call> log) {
    this.real = real;
    this.incarnation = incarnation;
    this.nanos = nanos;
    this.offers = offers;
    this.applies = applies;
    this.log = log;
  }

  @Override
  public List<Snapshot> listSnapshots() {
    return real.listSnapshots();
  }

  @Override
  public Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
    return real.loadSnapshotChunk(height, format, index);
  }

  @Override
  public OfferResult offerSnapshot(Snapshot snapshot, Bytes trustedAppHash) {
    int n = (int) log.stream().filter(c -> c instanceof Offered).count();
    OfferResult r = offers.offer(snapshot, n, () -> real.offerSnapshot(snapshot, trustedAppHash));
    log.add(new Offered(incarnation, nanos.getAsLong(), snapshot, r));
    return r;
  }

  @Override
  public ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
    int n = (int) log.stream().filter(c -> c instanceof Applied).count();
    boolean[] realCall = {false};
    ChunkApplied r =
        applies.apply(
            index,
            n,
            sender,
            () -> {
              realCall[0] = true;
              return real.applySnapshotChunk(index, chunk, sender);
            });
    log.add(new Applied(incarnation, nanos.getAsLong(), index, sender, r.result(), realCall[0]));
    return r;
  }

  @Override
  public boolean appliesOutOfOrder(Snapshot snapshot) {
    return real.appliesOutOfOrder(snapshot);
  }

  @Override
  public BitSet appliedChunks(Snapshot snapshot) {
    return real.appliedChunks(snapshot);
  }
}
