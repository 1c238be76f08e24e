package io.ferry.sim.statesync;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntPredicate;

/**
 * How a simulated server answers: a serving-only application around the real one that serves its
 * archives, honest or with a fault of the kinds the issue names. Stalling is not here: a stalled
 * server does the work and its answer never leaves it ({@link Tap}).
 */
sealed interface Serving {

  /** Serves what its archives hold. */
  record Honest() implements Serving {}

  /** Serves every chunk with one byte flipped. */
  record Corrupt() implements Serving {}

  /** Lists its snapshots but answers {@code missing} for the chunks {@code missing} selects. */
  record Missing(IntPredicate missing) implements Serving {}

  /** Lists {@code extra} snapshots besides its own, and serves none of their chunks. */
  record Listing(List<Snapshot> extra) implements Serving {}

  /** Lists but never answers a chunk request. */
  record Stalled() implements Serving {}

  Serving HONEST = new Honest();

  /** {@code app} answering as this says. */
  default SnapshotApplication around(SnapshotApplication app) {
    return new Faulty(app, this);
  }

  /** The application around the real one. Thread-safe as the one it wraps. */
  final class Faulty implements SnapshotApplication {
    private final SnapshotApplication inner;
    private final Serving serving;

    Faulty(SnapshotApplication inner, Serving serving) {
      this.inner = inner;
      this.serving = serving;
    }

    @Override
    public List<Snapshot> listSnapshots() {
      List<Snapshot> out = new ArrayList<>(inner.listSnapshots());
      if (serving instanceof Listing l) {
        out.addAll(l.extra());
      }
      return out;
    }

    @Override
    public Optional<Bytes> loadSnapshotChunk(long height, int format, int index) {
      return switch (serving) {
        case Missing m when m.missing().test(index) -> Optional.empty();
        case Corrupt c -> inner.loadSnapshotChunk(height, format, index).map(Faulty::flip);
        default -> inner.loadSnapshotChunk(height, format, index);
      };
    }

    /** {@code chunk} with a byte in its middle flipped. */
    static Bytes flip(Bytes chunk) {
      byte[] b = chunk.toByteArray();
      b[b.length / 2] ^= 0x20;
      return Bytes.wrap(b);
    }

    @Override
    public OfferResult offerSnapshot(Snapshot snapshot, Bytes trustedAppHash) {
      return OfferResult.ABORT; // a server restores nothing
    }

    @Override
    public ChunkApplied applySnapshotChunk(int index, Bytes chunk, NodeId sender) {
      return inner.applySnapshotChunk(index, chunk, sender);
    }
  }
}
