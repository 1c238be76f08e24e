package io.ferry.merkledb.proof;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.trie.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Proofs nested deeper than any honest one: a path longer than the longest key allows is refused
 * before any work, and one that is merely deep is checked without recursing once per node, so a
 * peer cannot make the verifier overflow its stack.
 */
class DeepProofTest {
  private static final BranchFactor BF = BranchFactor.BF16;

  /** Small enough to overflow a recursion of one frame per node, large enough for a loop. */
  private static final long SMALL_STACK = 256 * 1024;

  private static final int DEPTH = 6_000;

  /** A chain of proof nodes at paths of 0, 1, ..., depth - 1 zero tokens, each over the next. */
  private static List<ProofNode> chain(int depth) {
    List<ProofNode> out = new ArrayList<>(depth);
    Hash someId = Hash.of(new byte[Hash.LENGTH]);
    for (int i = 0; i < depth; i++) {
      TreeMap<Integer, Hash> children = new TreeMap<>();
      children.put(0, someId);
      out.add(new ProofNode(Path.ofTokens(BF, new int[i]), Optional.empty(), children));
    }
    return out;
  }

  /** Runs {@code check} on a thread with a small stack; returns what it threw. */
  private static Throwable thrownOnASmallStack(Runnable check) throws InterruptedException {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread t =
        new Thread(
            null,
            () -> {
              try {
                check.run();
              } catch (Throwable e) {
                thrown.set(e);
              }
            },
            "small-stack",
            SMALL_STACK);
    t.start();
    t.join();
    return thrown.get();
  }

  @Test
  void aRangeProofNestedThousandsDeepIsRefusedWithATypedError() throws InterruptedException {
    Bytes end = Bytes.wrap(new byte[DEPTH / 2]); // its path runs through every node of the chain
    RangeProof proof = new RangeProof(List.of(), chain(DEPTH), List.of());
    Throwable e =
        thrownOnASmallStack(
            () -> ProofVerifier.verifyRangeProof(proof, KeyRange.upTo(end), 10, someRoot(), BF));
    // The deepest node lists a child where the end key's path runs on: found at the bottom.
    assertThat(e).isInstanceOf(ProofException.class);
    assertThat(((ProofException) e).reason()).isEqualTo(ProofError.MISSING_END_PROOF);
  }

  @Test
  void aChangeProofNestedThousandsDeepIsRefusedWithATypedError() throws InterruptedException {
    Bytes end = Bytes.wrap(new byte[DEPTH / 2]);
    ChangeProof proof = new ChangeProof(List.of(), chain(DEPTH), List.of());
    Throwable e =
        thrownOnASmallStack(
            () ->
                ProofVerifier.verifyChangeProof(
                    proof, KeyRange.upTo(end), 10, someRoot(), TrieReader.empty(BF)));
    assertThat(e).isInstanceOf(ProofException.class);
  }

  @Test
  void theLongestPathHasOneNodePerTokenOfTheLongestKeyPlusTheRoot() {
    assertThat(BranchFactor.BF2.maxPathNodes()).isEqualTo(8 * Limits.MAX_KEY_BYTES + 1);
    assertThat(BranchFactor.BF16.maxPathNodes()).isEqualTo(2 * Limits.MAX_KEY_BYTES + 1);
    assertThat(BranchFactor.BF256.maxPathNodes()).isEqualTo(Limits.MAX_KEY_BYTES + 1);
  }

  @Test
  void aPathLongerThanTheLongestKeyAllowsIsRefusedBeforeAnyWork() {
    int tooMany = Limits.MAX_KEY_BYTES * 8 / BF.tokenBits() + 2;
    // One node repeated: the length alone decides, before any node is looked at.
    List<ProofNode> path = Collections.nCopies(tooMany, chain(1).get(0));
    Bytes end = Bytes.wrap(new byte[Limits.MAX_KEY_BYTES]);
    try {
      ProofVerifier.verifyRangeProof(
          new RangeProof(List.of(), path, List.of()), KeyRange.upTo(end), 10, someRoot(), BF);
      throw new AssertionError("accepted");
    } catch (ProofException e) {
      assertThat(e.reason()).isEqualTo(ProofError.PATH_TOO_LONG);
    }
    try {
      ProofVerifier.verifyProof(new Proof(end, Optional.empty(), path), someRoot(), BF);
      throw new AssertionError("accepted");
    } catch (ProofException e) {
      assertThat(e.reason()).isEqualTo(ProofError.PATH_TOO_LONG);
    }
    // The longest path a key allows is looked at: the repeated node does not extend itself.
    List<ProofNode> longest = Collections.nCopies(tooMany - 1, chain(1).get(0));
    try {
      ProofVerifier.verifyRangeProof(
          new RangeProof(List.of(), longest, List.of()), KeyRange.upTo(end), 10, someRoot(), BF);
      throw new AssertionError("accepted");
    } catch (ProofException e) {
      assertThat(e.reason()).isEqualTo(ProofError.DISCONNECTED_PROOF_NODES);
    }
  }

  private static Hash someRoot() {
    byte[] b = new byte[Hash.LENGTH];
    b[0] = 1;
    return Hash.of(b);
  }
}
