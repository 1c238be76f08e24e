package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.fail;

import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import java.util.ArrayList;
import java.util.List;

/** Helpers the storage tests share. */
final class Stores {
  private Stores() {}

  /** Every key-value of the head, in key order. */
  static List<KeyValue> scanAll(MerkleDB db) {
    List<KeyValue> out = new ArrayList<>();
    db.scan(KeyRange.ALL, out::add);
    return out;
  }

  /** Every key-value of a trie, in key order. */
  static List<KeyValue> scanAll(TrieReader trie) {
    List<KeyValue> out = new ArrayList<>();
    trie.scan(KeyRange.ALL, out::add);
    return out;
  }

  /** The root of a trie built afresh from {@code kvs} (branch factor 16). */
  static Hash rootOf(List<KeyValue> kvs) {
    return rootOf(kvs, BranchFactor.BF16);
  }

  static Hash rootOf(List<KeyValue> kvs, BranchFactor bf) {
    return View.of(TrieReader.empty(bf), Batch.of(kvs)).root();
  }

  /** Fails naming the first difference (values can be large, so never prints them whole). */
  static void assertSameContents(String what, List<KeyValue> actual, List<KeyValue> expected) {
    int n = Math.min(actual.size(), expected.size());
    for (int i = 0; i < n; i++) {
      KeyValue a = actual.get(i);
      KeyValue e = expected.get(i);
      if (!a.key().equals(e.key())) {
        fail("%s: key #%d is %s, expected %s", what, i, a.key(), e.key());
      }
      if (!a.value().equals(e.value())) {
        fail(
            "%s: value of %s has %d bytes and differs from the expected %d bytes",
            what, a.key(), a.value().length(), e.value().length());
      }
    }
    if (actual.size() != expected.size()) {
      fail("%s: %d key-values, expected %d", what, actual.size(), expected.size());
    }
  }
}
