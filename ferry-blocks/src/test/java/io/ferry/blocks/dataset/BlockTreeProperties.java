package io.ferry.blocks.dataset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.blocks.cid.Multicodec;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class BlockTreeProperties {

  /** The tree as the docs define it, written as a recursion over halves of a power-of-two split. */
  static Hash modelRoot(List<Hash> leaves) {
    MessageDigest sha = Sha256Hasher.newDigest();
    List<Hash> level = leaves;
    while (level.size() > 1) {
      List<Hash> up = new ArrayList<>();
      for (int i = 0; i + 1 < level.size(); i += 2) {
        sha.update((byte) 1);
        sha.update(level.get(i).toBytes());
        sha.update(level.get(i + 1).toBytes());
        up.add(Hash.wrap(sha.digest()));
      }
      if (level.size() % 2 == 1) {
        up.add(level.get(level.size() - 1));
      }
      level = up;
    }
    sha.update((byte) 2);
    sha.update(java.nio.ByteBuffer.allocate(8).putLong(leaves.size()).array());
    sha.update(level.get(0).toBytes());
    return Hash.wrap(sha.digest());
  }

  static List<Hash> leaves(int n, long seed) {
    List<Hash> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(Hash.wrap(Sha256Hasher.newDigest().digest(("leaf " + seed + " " + i).getBytes())));
    }
    return out;
  }

  @Property
  void rootMatchesTheModelAndEveryProofVerifies(
      @ForAll @IntRange(min = 1, max = 300) int n, @ForAll long seed) {
    List<Hash> leaves = leaves(n, seed);
    BlockTree tree = BlockTree.of(leaves);
    assertThat(tree.root()).isEqualTo(modelRoot(leaves));
    assertThat(tree.cid().codec()).isEqualTo(Multicodec.FERRY_TREE);
    for (int i = 0; i < n; i++) {
      BlockProof p = tree.proof(i);
      assertThat(p.verifies(leaves.get(i), tree.root())).isTrue();
      assertThat(BlockProof.fromProto(p.toProto())).isEqualTo(p);
    }
  }

  @Property
  void aProofForAnotherLeafPlaceOrTreeFails(
      @ForAll @IntRange(min = 2, max = 200) int n, @ForAll long seed, @ForAll("picks") int pick) {
    List<Hash> leaves = leaves(n, seed);
    BlockTree tree = BlockTree.of(leaves);
    int i = pick % n;
    int j = (i + 1) % n;
    BlockProof p = tree.proof(i);
    assertThat(p.verifies(leaves.get(j), tree.root())).isFalse();
    assertThat(new BlockProof(j, n, p.siblings()).verifies(leaves.get(i), tree.root())).isFalse();
    assertThat(new BlockProof(i, n + 1, p.siblings()).verifies(leaves.get(i), tree.root()))
        .isFalse();
    assertThat(
            new BlockProof(i, n, p.siblings())
                .verifies(leaves.get(i), BlockTree.of(leaves.subList(0, n - 1)).root()))
        .isFalse();
    if (!p.siblings().isEmpty()) {
      List<Hash> tampered = new ArrayList<>(p.siblings());
      int s = pick % tampered.size();
      byte[] b = tampered.get(s).toBytes();
      b[pick % 32] ^= 1;
      tampered.set(s, Hash.wrap(b));
      assertThat(new BlockProof(i, n, tampered).verifies(leaves.get(i), tree.root())).isFalse();
      List<Hash> shorter = p.siblings().subList(0, p.siblings().size() - 1);
      assertThat(new BlockProof(i, n, shorter).verifies(leaves.get(i), tree.root())).isFalse();
    }
  }

  /** A tree commits to its leaf count: a prefix, or the top of a smaller tree, is another root. */
  @Property
  void theRootCommitsToTheLeafCount(
      @ForAll @IntRange(min = 1, max = 100) int n, @ForAll long seed) {
    List<Hash> leaves = leaves(n + 1, seed);
    assertThat(BlockTree.of(leaves.subList(0, n)).root()).isNotEqualTo(BlockTree.of(leaves).root());
  }

  @Example
  void aTreeOfNoLeavesIsRefused() {
    assertThatThrownBy(() -> BlockTree.of(List.of()))
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> assertThat(e.code()).isEqualTo(io.ferry.core.ErrorCode.INVALID_ARGUMENT));
  }

  @Provide
  Arbitrary<Integer> picks() {
    return Arbitraries.integers().between(0, 1 << 20);
  }
}
