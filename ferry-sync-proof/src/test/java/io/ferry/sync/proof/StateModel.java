package io.ferry.sync.proof;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.View;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

/** A MerkleDB's contents per committed height, to check what the server sends. */
final class StateModel {
  final Map<Long, TreeMap<Bytes, Bytes>> states = new HashMap<>();
  final Map<Long, Hash> roots = new HashMap<>();
  private final Random rnd;
  private TreeMap<Bytes, Bytes> current = new TreeMap<>();

  StateModel(long seed) {
    rnd = new Random(seed);
    states.put(0L, new TreeMap<>());
    roots.put(0L, Hash.ZERO);
  }

  /** Commits {@code count} keys {@code key(0..count-1)} with values of {@code valueBytes}. */
  Revision fill(MerkleDB db, int count, int valueBytes) {
    Batch b = new Batch();
    for (int i = 0; i < count; i++) {
      byte[] v = new byte[valueBytes];
      rnd.nextBytes(v);
      b.put(Requests.key(i), Bytes.wrap(v));
    }
    return commit(db, b);
  }

  /** Commits {@code changes} random puts and deletes among keys {@code key(0..keySpace-1)}. */
  Revision churn(MerkleDB db, int keySpace, int changes) {
    Batch b = new Batch();
    for (int i = 0; i < changes; i++) {
      Bytes key = Requests.key(rnd.nextInt(keySpace));
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

  static List<KeyValue> kvs(Map<Bytes, Bytes> m) {
    List<KeyValue> out = new ArrayList<>(m.size());
    m.forEach((k, v) -> out.add(new KeyValue(k, v)));
    return out;
  }

  /** A trie holding the state of {@code height}, as a client's local store would. */
  View trieAt(long height, BranchFactor bf) {
    return View.of(TrieReader.empty(bf), Batch.of(kvs(states.get(height))));
  }
}
