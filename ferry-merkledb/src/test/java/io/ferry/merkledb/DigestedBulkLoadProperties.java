package io.ferry.merkledb;

import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * A bulk load given the value digests a sorted trie computed (what a proof sync reuses from its
 * verifier) builds the same store as a plain bulk load; a digest that is not the value's gives
 * another root, which the sync's root check catches.
 */
class DigestedBulkLoadProperties implements MerkleArbitraries {
  @Provide
  Arbitrary<Map<Bytes, Bytes>> states() {
    return Arbitraries.maps(MerkleTestSupport.keys(), MerkleTestSupport.values())
        .ofMaxSize(60)
        .map(TreeMap::new);
  }

  @Property(tries = 300)
  void sameRootAndContentsAsAPlainBulkLoad(
      @ForAll BranchFactor bf, @ForAll("states") Map<Bytes, Bytes> state) {
    List<KeyValue> sorted = kvs(new TreeMap<>(state));
    SortedTrie trie = SortedTrie.of(sorted, bf);
    try (MerkleDB plain = db(bf);
        MerkleDB digested = db(bf)) {
      Revision a = plain.bulkLoad(sorted.iterator(), 7);
      Revision b = digested.bulkLoadDigested(digested(sorted, trie).iterator(), 7);
      assertThat(b).isEqualTo(a);
      assertThat(b.root()).isEqualTo(trie.root());
      List<KeyValue> read = new ArrayList<>();
      try (StateSnapshot s = digested.snapshot()) {
        s.scan(KeyRange.ALL, read::add);
      }
      assertThat(read).containsExactlyElementsOf(sorted);
    }
  }

  @Property(tries = 200)
  void aWrongDigestGivesAnotherRoot(
      @ForAll BranchFactor bf,
      @ForAll("states") Map<Bytes, Bytes> state,
      @ForAll int which,
      @ForAll byte flip) {
    Assume.that(!state.isEmpty() && flip != 0);
    List<KeyValue> sorted = kvs(new TreeMap<>(state));
    SortedTrie trie = SortedTrie.of(sorted, bf);
    List<DigestedKeyValue> input = digested(sorted, trie);
    int i = Math.floorMod(which, input.size());
    byte[] wrong = input.get(i).valueDigest().clone();
    if (wrong.length == 0) {
      wrong = new byte[] {flip};
    } else {
      wrong[0] ^= flip;
    }
    input.set(i, new DigestedKeyValue(input.get(i).keyValue(), wrong));
    try (MerkleDB db = db(bf)) {
      assertThat(db.bulkLoadDigested(input.iterator(), 1).root()).isNotEqualTo(trie.root());
    }
  }

  private static List<DigestedKeyValue> digested(List<KeyValue> sorted, SortedTrie trie) {
    List<DigestedKeyValue> out = new ArrayList<>();
    for (int i = 0; i < sorted.size(); i++) {
      out.add(new DigestedKeyValue(sorted.get(i), trie.valueDigest(i)));
    }
    return out;
  }

  private static MerkleDB db(BranchFactor bf) {
    return MerkleDB.inMemory(MerkleDBConfig.defaults().withBranchFactor(bf).withSyncWrites(false));
  }
}
