package io.ferry.merkledb.proof;

import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static io.ferry.merkledb.MerkleTestSupport.memoryDb;
import static io.ferry.merkledb.MerkleTestSupport.rangeOf;
import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.MerkleTestSupport.Op;
import io.ferry.merkledb.StateSnapshot;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Predicate;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * A valid proof with any single bit of its protobuf encoding flipped must never verify: decoding
 * fails, or verification does. Two exceptions, both counted and bounded: a flip that leaves an
 * equivalent message (an unknown field replacing one that held its default value, say), which
 * re-encodes to the original bytes; and, for range and change proofs, a flip that drops the last
 * key-value or change (its tag turned into an unknown field's) and leaves exactly the proof an
 * honest server sends for the same request with a smaller key limit, which no verifier can refuse.
 * For a single-key proof, a flip in the key gives a proof about another key, which the asker
 * refuses because it is not the key it asked about.
 */
class ProofTamperProperties {
  /** Bits flipped per proof; small proofs have every bit flipped. */
  private static final int MAX_FLIPS = 400;

  @Provide
  Arbitrary<List<List<Op>>> histories() {
    return MerkleTestSupport.histories(5, 14);
  }

  @Provide
  Arbitrary<Integer> keyLimits() {
    return new ProofProperties().keyLimits();
  }

  @Provide
  Arbitrary<Optional<Bytes>> bounds() {
    return MerkleTestSupport.keys().optional(0.6);
  }

  private enum Outcome {
    UNPARSABLE,
    UNDECODABLE,
    REJECTED,
    EQUIVALENT,
    HONEST_TRUNCATION
  }

  /** Counts of each outcome over the flips of one proof. */
  private static final class Tally {
    final int[] counts = new int[Outcome.values().length];
    int flips;

    void add(Outcome o) {
      counts[o.ordinal()]++;
      flips++;
    }

    int get(Outcome o) {
      return counts[o.ordinal()];
    }

    /**
     * Equivalent re-encodings and truncations come from a few tag bits only: a small share of any
     * proof.
     */
    void checkEquivalentsAreRare() {
      assertThat(get(Outcome.EQUIVALENT) + get(Outcome.HONEST_TRUNCATION))
          .as("flips giving an equivalent proof, of %d: %s", flips, Arrays.toString(counts))
          .isLessThanOrEqualTo(Math.max(4, flips / 10));
      assertThat(get(Outcome.HONEST_TRUNCATION)).isLessThanOrEqualTo(8);
      // most flips land in ids and values, which decode fine: verification must see them
      if (flips >= 200) {
        assertThat(get(Outcome.REJECTED)).isGreaterThan(flips / 4);
      }
    }
  }

  /**
   * Flips bits of {@code original} one at a time. {@code decode} parses and decodes (throwing
   * FerryException on malformed input), {@code reencode} gives a decoded proof's bytes, {@code
   * verify} throws ProofException if the decoded proof does not verify, and {@code honest} tells
   * whether a proof is what an honest server sends for the same request with a smaller key limit.
   */
  private static <P> Tally flipEveryBit(
      byte[] original,
      Function<byte[], P> decode,
      Function<P, byte[]> reencode,
      Consumer<P> verify,
      Predicate<P> honest,
      long seed) {
    Random random = new Random(seed);
    int bits = original.length * 8;
    Tally tally = new Tally();
    int flips = Math.min(bits, MAX_FLIPS);
    for (int n = 0; n < flips; n++) {
      int bit = bits <= MAX_FLIPS ? n : random.nextInt(bits);
      byte[] tampered = original.clone();
      tampered[bit / 8] ^= (byte) (1 << (bit % 8));
      P decoded;
      try {
        decoded = decode.apply(tampered);
      } catch (ProofException e) {
        tally.add(Outcome.UNDECODABLE);
        continue;
      } catch (FerryException e) {
        tally.add(Outcome.UNPARSABLE);
        continue;
      }
      if (Arrays.equals(reencode.apply(decoded), original)) {
        tally.add(Outcome.EQUIVALENT);
        continue;
      }
      try {
        verify.accept(decoded);
      } catch (ProofException e) {
        tally.add(Outcome.REJECTED);
        continue;
      }
      if (honest.test(decoded)) {
        tally.add(Outcome.HONEST_TRUNCATION);
        continue;
      }
      throw new AssertionError(
          "flipping bit " + bit + " gave a different proof that verifies: " + decoded);
    }
    return tally;
  }

  @Property(tries = 100)
  void flippedRangeProofsNeverVerify(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keyLimits") int keyLimit,
      @ForAll long seed) {
    KeyRange range = rangeOf(a, b);
    ProofProperties.State s = ProofProperties.build(bf, history);
    try (MerkleDB db = s.db()) {
      Hash root = db.root();
      RangeProof proof = db.rangeProof(root, range, keyLimit, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      byte[] original = WireBytes.of(proof);
      Tally tally =
          flipEveryBit(
              original,
              bytes -> WireBytes.rangeProof(bytes, bf),
              WireBytes::of,
              p -> ProofVerifier.verifyRangeProof(p, range, keyLimit, root, bf),
              p ->
                  p.keyValues().size() < proof.keyValues().size()
                      && !p.keyValues().isEmpty()
                      && p.equals(
                          db.rangeProof(
                              root, range, p.keyValues().size(), Limits.DEFAULT_PROOF_BYTE_LIMIT)),
              seed);
      tally.checkEquivalentsAreRare();
    }
  }

  @Property(tries = 100)
  void flippedChangeProofsNeverVerify(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> a,
      @ForAll("bounds") Optional<Bytes> b,
      @ForAll("keyLimits") int keyLimit,
      @ForAll @IntRange(min = 0, max = 100) int from,
      @ForAll long seed) {
    KeyRange range = rangeOf(a, b);
    ProofProperties.State s = ProofProperties.build(bf, history);
    try (MerkleDB db = s.db()) {
      Hash endRoot = db.root();
      Hash startRoot = s.roots().get(from % (s.roots().size() - 1));
      if (s.heightOf(startRoot) >= s.heightOf(endRoot)) {
        return; // the same state again: no change proof between them
      }
      TreeMap<Bytes, Bytes> before = s.models().get(s.heightOf(startRoot));
      ChangeProof proof =
          db.changeProof(startRoot, endRoot, range, keyLimit, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      byte[] original = WireBytes.of(proof);
      try (MerkleDB local = memoryDb(bf, 2)) {
        local.commit(Batch.of(kvs(before)));
        try (StateSnapshot snap = local.snapshot()) {
          ProofVerifier.verifyChangeProof(proof, range, keyLimit, endRoot, snap);
          Tally tally =
              flipEveryBit(
                  original,
                  bytes -> WireBytes.changeProof(bytes, bf),
                  WireBytes::of,
                  p -> ProofVerifier.verifyChangeProof(p, range, keyLimit, endRoot, snap),
                  p ->
                      p.keyChanges().size() < proof.keyChanges().size()
                          && !p.keyChanges().isEmpty()
                          && p.equals(
                              db.changeProof(
                                  startRoot,
                                  endRoot,
                                  range,
                                  p.keyChanges().size(),
                                  Limits.DEFAULT_PROOF_BYTE_LIMIT)),
                  seed);
          tally.checkEquivalentsAreRare();
        }
      }
    }
  }

  @Property(tries = 100)
  void flippedSingleKeyProofsNeverVerify(
      @ForAll BranchFactor bf,
      @ForAll("histories") List<List<Op>> history,
      @ForAll("bounds") Optional<Bytes> probe,
      @ForAll long seed) {
    ProofProperties.State s = ProofProperties.build(bf, history);
    try (MerkleDB db = s.db()) {
      Hash root = db.root();
      TreeMap<Bytes, Bytes> model = s.models().get(s.models().size() - 1);
      // a present key most of the time, else the probe (usually absent)
      Bytes key =
          probe.isEmpty() && !model.isEmpty()
              ? model.keySet().stream().skip(Math.floorMod(seed, model.size())).findFirst().get()
              : probe.orElse(Bytes.fromHex("42"));
      Proof proof = db.proof(key);
      byte[] original = WireBytes.of(proof);
      int[] otherKey = {0};
      Tally tally =
          flipEveryBit(
              original,
              bytes -> WireBytes.proof(bytes, bf),
              WireBytes::of,
              p -> {
                // A flip in the key makes a proof about another key, which the asker refuses:
                // what it checks is the key it asked about.
                if (!p.key().equals(key)) {
                  otherKey[0]++;
                  throw new ProofException(ProofError.VALUE_MISMATCH, "not the key asked for");
                }
                ProofVerifier.verifyProof(p, root, bf);
              },
              p -> false,
              seed);
      tally.checkEquivalentsAreRare();
      // only flips in the key field (its tag, length or bytes) change the key
      assertThat(otherKey[0]).isLessThanOrEqualTo(key.length() * 8 + 16);
    }
  }
}
