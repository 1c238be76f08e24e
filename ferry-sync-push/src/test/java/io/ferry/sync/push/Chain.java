package io.ferry.sync.push;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.head.SignedHead;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.Revision;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A producer's store and the commits it made, each with its head signed by the producer's key: the
 * commits push sync carries, made the way a producer makes them. For tests only.
 */
final class Chain implements AutoCloseable {
  final NodeKey key;
  final MerkleDB db = newDb();
  final List<Commit> commits = new ArrayList<>();
  private final Random random;
  private final List<Bytes> written = new ArrayList<>();

  Chain(NodeKey key, long seed) {
    this.key = key;
    this.random = new Random(seed);
  }

  static MerkleDB newDb() {
    return MerkleDB.inMemory(MerkleDBConfig.defaults().withSyncWrites(false));
  }

  /** The root of an empty store. */
  static Hash newDbRoot() {
    try (MerkleDB db = newDb()) {
      return db.root();
    }
  }

  /** Commits {@code batch} and signs the head it makes. */
  Commit commit(Batch batch) {
    Hash parent = db.root();
    Revision r = db.commit(batch);
    Commit c = Commit.of(batch, parent, SignedHead.sign(key, r.height(), r.root()));
    commits.add(c);
    return c;
  }

  /** Commits a batch of {@code changes} random puts and deletes of earlier keys. */
  Commit commitRandom(int changes) {
    Batch b = new Batch();
    for (int i = 0; i < changes; i++) {
      if (i % 4 == 3 && !written.isEmpty()) {
        b.delete(written.get(random.nextInt(written.size())));
      } else {
        byte[] v = new byte[1 + random.nextInt(40)];
        random.nextBytes(v);
        Bytes k = key(random.nextInt(1 << 16));
        b.put(k, Bytes.wrap(v));
        written.add(k);
      }
    }
    return commit(b);
  }

  /** A commit whose batch has one value changed, with the true head: a lie. */
  static Commit tampered(Commit c) {
    List<KeyChange> changes = new ArrayList<>(c.changes());
    KeyChange first = changes.getFirst();
    changes.set(0, KeyChange.put(first.key(), Bytes.wrap(new byte[] {0x66, 0x6f, 0x72, 0x67})));
    if (changes.equals(c.changes())) {
      changes.set(0, KeyChange.delete(first.key()));
    }
    return new Commit(c.height(), c.parentRoot(), changes, c.head());
  }

  /** The commit with its head's signature changed: a forgery. */
  static Commit forged(Commit c) {
    byte[] sig = c.head().signature().toByteArray();
    sig[7] ^= 0x01;
    SignedHead h = c.head();
    return new Commit(
        c.height(),
        c.parentRoot(),
        c.changes(),
        new SignedHead(h.producer(), h.height(), h.root(), Bytes.wrap(sig)));
  }

  /** A made-up root, numbered {@code i}. */
  static Hash root(int i) {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = (byte) i;
    b[1] = (byte) (i >> 8);
    b[31] = 0x11;
    return Hash.of(b);
  }

  static Bytes key(int i) {
    return Bytes.wrap(new byte[] {'k', (byte) (i >> 8), (byte) i});
  }

  KnownHead head() {
    return KnownHead.of(db.revision());
  }

  @Override
  public void close() {
    db.close();
  }
}
