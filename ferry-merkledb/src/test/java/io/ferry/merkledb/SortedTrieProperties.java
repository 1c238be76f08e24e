package io.ferry.merkledb;

import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static io.ferry.merkledb.MerkleTestSupport.rangeOf;
import static io.ferry.merkledb.MerkleTestSupport.scan;
import static io.ferry.merkledb.MerkleTestSupport.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.trie.Child;
import io.ferry.merkledb.trie.Node;
import io.ferry.merkledb.trie.NodeSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Assume;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * The one-pass sorted trie against a view on the empty trie built from the same key-values: the
 * same nodes with the same ids, the same reads.
 */
class SortedTrieProperties implements MerkleArbitraries {
  @Provide
  Arbitrary<Map<Bytes, Bytes>> states() {
    return Arbitraries.maps(MerkleTestSupport.keys(), MerkleTestSupport.values())
        .ofMaxSize(40)
        .map(TreeMap::new);
  }

  @Property(tries = 1000)
  void sameNodesIdsAndReadsAsAView(
      @ForAll BranchFactor bf,
      @ForAll("states") Map<Bytes, Bytes> state,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("bounds") Optional<Bytes> probe) {
    TreeMap<Bytes, Bytes> model = new TreeMap<>(state);
    List<KeyValue> sorted = kvs(model);
    SortedTrie trie = SortedTrie.of(sorted, bf);
    View view = View.of(TrieReader.empty(bf), Batch.of(sorted));

    assertThat(trie.root()).isEqualTo(view.root());
    assertThat(nodes(trie.nodes())).isEqualTo(nodes(view.nodes()));
    KeyRange range = rangeOf(a, b);
    assertThat(scan(trie, range)).containsExactlyElementsOf(slice(model, range));
    assertThat(scan(trie, KeyRange.ALL)).containsExactlyElementsOf(sorted);
    Bytes k = probe.orElse(Bytes.EMPTY);
    assertThat(trie.get(k)).isEqualTo(Optional.ofNullable(model.get(k)));
    for (KeyValue kv : sorted) {
      assertThat(trie.get(kv.key())).hasValue(kv.value());
    }
  }

  /** What a change-proof re-check does: a view of puts and deletes on top of the sorted trie. */
  @Property(tries = 500)
  void aViewOnTopGivesTheSameTrieAsOnAView(
      @ForAll BranchFactor bf,
      @ForAll("states") Map<Bytes, Bytes> state,
      @ForAll("batches") List<MerkleTestSupport.Op> ops) {
    List<KeyValue> sorted = kvs(new TreeMap<>(state));
    Batch changes = MerkleTestSupport.batchOf(ops);
    SortedTrie base = SortedTrie.of(sorted, bf);
    List<String> before = nodes(base.nodes());
    View onSorted = View.of(base, changes);
    View onView = View.of(View.of(TrieReader.empty(bf), Batch.of(sorted)), changes);

    TreeMap<Bytes, Bytes> model = new TreeMap<>(state);
    MerkleTestSupport.apply(model, ops);
    assertThat(onSorted.root()).isEqualTo(onView.root());
    assertThat(onSorted.root()).isEqualTo(MerkleTestSupport.rootOf(model, bf));
    assertThat(nodes(onSorted.nodes())).isEqualTo(nodes(onView.nodes()));
    assertThat(scan(onSorted, KeyRange.ALL)).containsExactlyElementsOf(kvs(model));
    assertThat(nodes(base.nodes())).as("the view changed copies, not the base").isEqualTo(before);
  }

  @Property(tries = 200)
  void keysOutOfOrderAreRefused(
      @ForAll BranchFactor bf, @ForAll("states") Map<Bytes, Bytes> state) {
    List<KeyValue> sorted = kvs(new TreeMap<>(state));
    Assume.that(sorted.size() >= 2);
    List<KeyValue> swapped = new ArrayList<>(sorted);
    swapped.set(0, sorted.get(1));
    swapped.set(1, sorted.get(0));
    assertThatThrownBy(() -> SortedTrie.of(swapped, bf))
        .isInstanceOf(IllegalArgumentException.class);
    List<KeyValue> repeated = new ArrayList<>(sorted);
    repeated.add(1, sorted.get(0));
    assertThatThrownBy(() -> SortedTrie.of(repeated, bf))
        .isInstanceOf(IllegalArgumentException.class);
  }

  /** Every node reachable from the root, as path, id, value digest and child entries. */
  private static List<String> nodes(NodeSource source) {
    List<String> out = new ArrayList<>();
    Node root = source.rootNode();
    if (root != null) {
      walk(source, root, out);
    }
    return out;
  }

  private static void walk(NodeSource source, Node n, List<String> out) {
    StringBuilder s = new StringBuilder();
    s.append(n.key()).append(' ').append(n.id());
    s.append(' ').append(n.hasValue() ? Bytes.of(n.valueDigest()) : "-");
    for (int i = 0; i < n.width(); i++) {
      Child c = n.child(i);
      if (c != null) {
        s.append(' ').append(i).append(':').append(c.compressedKey()).append('=').append(c.id());
      }
    }
    out.add(s.toString());
    for (int i = 0; i < n.width(); i++) {
      Child c = n.child(i);
      if (c != null) {
        walk(source, source.node(n.childPath(i), c.id()), out);
      }
    }
  }
}
