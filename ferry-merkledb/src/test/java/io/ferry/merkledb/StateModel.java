package io.ferry.merkledb;

import static io.ferry.merkledb.MerkleTestSupport.indexKey;
import static io.ferry.merkledb.MerkleTestSupport.kvs;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import java.util.HashMap;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeMap;

/**
 * A MerkleDB's contents and root per committed height, kept next to the store the test commits to,
 * to check what a server sends or a client rebuilds. Keys are {@link MerkleTestSupport#indexKey}s.
 * Not thread-safe.
 */
public final class StateModel {
  private final Map<Long, TreeMap<Bytes, Bytes>> states = new HashMap<>();
  private final Map<Long, Hash> roots = new HashMap<>();
  private final Random rnd;
  private TreeMap<Bytes, Bytes> current = new TreeMap<>();

  public StateModel(long seed) {
    rnd = new Random(seed);
    states.put(0L, new TreeMap<>());
    roots.put(0L, Hash.ZERO);
  }

  /** The state committed at {@code height}, or null if the model has none there. */
  public NavigableMap<Bytes, Bytes> state(long height) {
    return states.get(height);
  }

  /** The root committed at {@code height}, or null if the model has none there. */
  public Hash root(long height) {
    return roots.get(height);
  }

  /** Commits {@code count} keys {@code indexKey(0..count-1)} with values of {@code valueBytes}. */
  public Revision fill(MerkleDB db, int count, int valueBytes) {
    Batch b = new Batch();
    for (int i = 0; i < count; i++) {
      byte[] v = new byte[valueBytes];
      rnd.nextBytes(v);
      b.put(indexKey(i), Bytes.wrap(v));
    }
    return commit(db, b);
  }

  /** Commits {@code changes} random puts and deletes among keys {@code indexKey(0..keySpace-1)}. */
  public Revision churn(MerkleDB db, int keySpace, int changes) {
    Batch b = new Batch();
    for (int i = 0; i < changes; i++) {
      Bytes key = indexKey(rnd.nextInt(keySpace));
      if (rnd.nextInt(4) == 0) {
        b.delete(key);
      } else {
        byte[] v = new byte[1 + rnd.nextInt(40)];
        rnd.nextBytes(v);
        b.put(key, Bytes.wrap(v));
      }
    }
    return commit(db, b);
  }

  private Revision commit(MerkleDB db, Batch b) {
    Revision r = db.commit(b);
    TreeMap<Bytes, Bytes> next = new TreeMap<>(current);
    b.operations()
        .forEach((k, v) -> v.ifPresentOrElse(val -> next.put(k, val), () -> next.remove(k)));
    current = next;
    states.put(r.height(), next);
    roots.put(r.height(), r.root());
    return r;
  }

  /** A trie holding the state of {@code height}, as a client's local store would. */
  public View trieAt(long height, BranchFactor bf) {
    return View.of(TrieReader.empty(bf), Batch.of(kvs(states.get(height))));
  }
}
