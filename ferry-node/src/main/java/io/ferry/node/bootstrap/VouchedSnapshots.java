package io.ferry.node.bootstrap;

import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.SnapshotHashes;
import io.ferry.snapshot.Manifest;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.archive.ArchiveApplication;
import io.ferry.sync.snapshot.client.TrustedAppHash;
import java.util.Optional;

/**
 * The trusted app hash of a MerkleDB snapshot that validators vouch for: when at least {@code
 * minAgreement} of the trust's validators advertise the snapshot's (height, snapshot hash) as their
 * full snapshot in their signed {@code SNAPSHOT_HASHES} gossip values, the snapshot's manifest (its
 * metadata, which must hash to that snapshot hash) names the root, and that root is trusted. With
 * {@code --trust-producer} the producer is the one validator: its signed advertisement names a
 * snapshot of a state it made. This is what plays CometBFT's light client. Thread-safe (reads the
 * gossip table).
 */
public final class VouchedSnapshots implements TrustedAppHash {
  private final Bootstrap.Gossip gossip;
  private final SnapshotTrust trust;

  public VouchedSnapshots(Bootstrap.Gossip gossip, SnapshotTrust trust) {
    this.gossip = gossip;
    this.trust = trust;
  }

  /** Trusts {@code full} alone: the snapshot a bootstrap already chose. */
  public static TrustedAppHash only(SnapshotHashes.Slot full) {
    return s -> slot(s).filter(full::equals).flatMap(x -> root(s));
  }

  @Override
  public Optional<Bytes> appHash(Snapshot s) {
    Optional<SnapshotHashes.Slot> slot = slot(s);
    if (slot.isEmpty()) {
      return Optional.empty();
    }
    long votes =
        gossip.adverts().stream()
            .filter(a -> trust.isValidator(a.origin()) && a.hashes().full().equals(slot.get()))
            .count();
    if (votes < trust.minAgreement()) {
      return Optional.empty();
    }
    return root(s);
  }

  private static Optional<SnapshotHashes.Slot> slot(Snapshot s) {
    if (s.format() != ArchiveApplication.FORMAT || s.hash().length() != Hash.LENGTH) {
      return Optional.empty();
    }
    return Optional.of(new SnapshotHashes.Slot(s.height(), Hash.of(s.hash().toByteArray())));
  }

  /** The root the manifest in {@code s}'s metadata names, if it hashes to the snapshot hash. */
  private static Optional<Bytes> root(Snapshot s) {
    Hash hash = Hash.of(s.hash().toByteArray());
    if (!Sha256Hasher.INSTANCE.hash(s.metadata().unsafeArray()).equals(hash)) {
      return Optional.empty(); // the application rejects the sender; no trust to give
    }
    try {
      Manifest m = Manifest.decode(s.metadata().toByteArray(), "the manifest of snapshot " + s);
      return Optional.of(Bytes.wrap(m.root().toBytes()));
    } catch (FerryException e) {
      return Optional.empty();
    }
  }
}
