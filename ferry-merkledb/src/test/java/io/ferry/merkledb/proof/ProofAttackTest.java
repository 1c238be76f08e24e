package io.ferry.merkledb.proof;

import static io.ferry.merkledb.MerkleTestSupport.b;
import static io.ferry.merkledb.MerkleTestSupport.kvs;
import static io.ferry.merkledb.MerkleTestSupport.memoryDb;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.View;
import io.ferry.merkledb.trie.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * One test per way a malicious server could bend a proof, each asserting the exact reason it is
 * refused, and the honest edge cases that must still verify. The store (branch factor 16) holds:
 *
 * <pre>
 *   10            a leaf under the node at "1"
 *   1234, 1567    leaves under "1": 1234 hangs from "1" on a compressed edge ("2" then "34")
 *   20, 2000      20 holds a value and has 2000 below it
 *   31..35        five leaves under the node at "3"
 *   50            a 40-byte value (its node holds the value's hash)
 *   7f, 80, a0    leaves under the root
 * </pre>
 */
class ProofAttackTest {
  private static final BranchFactor BF = BranchFactor.BF16;
  private static final int BIG = Limits.DEFAULT_PROOF_BYTE_LIMIT;

  private MerkleDB db;
  private TreeMap<Bytes, Bytes> model;

  @BeforeEach
  void setUp() {
    model = new TreeMap<>();
    model.put(b("10"), b("0a"));
    model.put(b("1234"), b("0b"));
    model.put(b("1567"), b("0c"));
    model.put(b("20"), b("0d"));
    model.put(b("2000"), b("0e"));
    for (int i = 1; i <= 5; i++) {
      model.put(b("3" + i), b("3" + i + "3" + i));
    }
    model.put(b("50"), Bytes.wrap(new byte[40]));
    model.put(b("7f"), b("0f"));
    model.put(b("80"), b("10"));
    model.put(b("a0"), b("11"));
    db = memoryDb(BF, 10);
    db.commit(Batch.of(kvs(model)));
  }

  @AfterEach
  void tearDown() {
    db.close();
  }

  // ------------------------------------------------------------------ helpers

  private static void assertRefused(ThrowingCallable call, ProofError reason) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            ProofException.class,
            e -> {
              assertThat(e.reason()).as(e.getMessage()).isEqualTo(reason);
              assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED);
            });
  }

  private RangeProof range(KeyRange r, int keyLimit) {
    RangeProof p = db.rangeProof(db.root(), r, keyLimit, BIG);
    ProofVerifier.verifyRangeProof(p, r, keyLimit, db.root(), BF); // honest: verifies
    return p;
  }

  private void verify(RangeProof p, KeyRange r, int keyLimit) {
    ProofVerifier.verifyRangeProof(p, r, keyLimit, db.root(), BF);
  }

  private static RangeProof withKeyValues(RangeProof p, List<KeyValue> kvs) {
    return new RangeProof(p.startProof(), p.endProof(), kvs);
  }

  private static ProofNode withValue(ProofNode n, Optional<Bytes> valueOrHash) {
    return new ProofNode(n.key(), valueOrHash, n.children());
  }

  private static ProofNode withChild(ProofNode n, int index, Hash id) {
    SortedMap<Integer, Hash> children = new TreeMap<>(n.children());
    children.put(index, id);
    return new ProofNode(n.key(), n.valueOrHash(), children);
  }

  /** The proof node at {@code tokens} (hex digits) on the path to {@code key}. */
  private ProofNode nodeAt(String key, String tokens) {
    Path want = path(tokens);
    return db.proof(b(key)).path().stream()
        .filter(n -> n.key().equals(want))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no node " + tokens + " toward " + key));
  }

  private static Path path(String hexTokens) {
    int[] t = hexTokens.chars().map(c -> Character.digit(c, 16)).toArray();
    return Path.ofTokens(BF, t);
  }

  private static <T> List<T> with(List<T> list, int index, T item) {
    List<T> out = new ArrayList<>(list);
    out.add(index, item);
    return out;
  }

  private static <T> List<T> without(List<T> list, int index) {
    List<T> out = new ArrayList<>(list);
    out.remove(index);
    return out;
  }

  private static KeyRange r(String start, String end) {
    return KeyRange.of(start == null ? null : b(start), end == null ? null : b(end));
  }

  // ------------------------------------------------------------------ shape

  @Test
  void keysOutOfOrder() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    List<KeyValue> kvs = new ArrayList<>(p.keyValues());
    kvs.set(1, p.keyValues().get(2));
    kvs.set(2, p.keyValues().get(1));
    assertRefused(() -> verify(withKeyValues(p, kvs), r, 10), ProofError.KEYS_OUT_OF_ORDER);
  }

  @Test
  void duplicateKey() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    List<KeyValue> kvs = with(p.keyValues(), 2, p.keyValues().get(2));
    assertRefused(() -> verify(withKeyValues(p, kvs), r, 10), ProofError.KEYS_OUT_OF_ORDER);
  }

  @Test
  void keyBelowTheStart() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    List<KeyValue> kvs = with(p.keyValues(), 0, new KeyValue(b("2000"), model.get(b("2000"))));
    assertRefused(() -> verify(withKeyValues(p, kvs), r, 10), ProofError.KEY_OUT_OF_RANGE);
  }

  @Test
  void keyAboveTheEnd() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    List<KeyValue> kvs = with(p.keyValues(), 5, new KeyValue(b("50"), model.get(b("50"))));
    assertRefused(() -> verify(withKeyValues(p, kvs), r, 10), ProofError.KEY_OUT_OF_RANGE);
  }

  @Test
  void moreKeysThanTheLimit() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 5);
    assertThat(p.keyValues()).hasSize(5);
    assertRefused(() -> verify(p, r, 4), ProofError.TOO_MANY_KEYS);
    RangeProof q = range(r, 4);
    List<KeyValue> kvs = with(q.keyValues(), 4, p.keyValues().get(4));
    assertRefused(() -> verify(withKeyValues(q, kvs), r, 4), ProofError.TOO_MANY_KEYS);
  }

  @Test
  void missingEndProof() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    RangeProof cut = new RangeProof(p.startProof(), List.of(), p.keyValues());
    assertRefused(() -> verify(cut, r, 10), ProofError.MISSING_END_PROOF);

    // an unbounded range too, as soon as it returns keys
    RangeProof all = range(KeyRange.ALL, 3);
    RangeProof allCut = new RangeProof(List.of(), List.of(), all.keyValues());
    assertRefused(() -> verify(allCut, KeyRange.ALL, 3), ProofError.MISSING_END_PROOF);
  }

  @Test
  void unexpectedEndProofWithNoEndAndNoKeys() {
    KeyRange r = r("f0", null); // after every key
    RangeProof p = range(r, 10);
    assertThat(p.keyValues()).isEmpty();
    assertThat(p.endProof()).isEmpty();
    assertThat(p.startProof()).isNotEmpty();
    RangeProof forged = new RangeProof(p.startProof(), p.startProof(), List.of());
    assertRefused(() -> verify(forged, r, 10), ProofError.UNEXPECTED_END_PROOF);
  }

  @Test
  void unexpectedStartProofWithNoStart() {
    KeyRange r = r(null, "20");
    RangeProof p = range(r, 10);
    assertThat(p.startProof()).isEmpty();
    RangeProof forged = new RangeProof(List.of(p.endProof().get(0)), p.endProof(), p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.UNEXPECTED_START_PROOF);
  }

  @Test
  void emptyProofOfABoundedRange() {
    RangeProof empty = new RangeProof(List.of(), List.of(), List.of());
    assertRefused(() -> verify(empty, r("30", "3f"), 10), ProofError.EMPTY_PROOF);
    assertRefused(() -> verify(empty, r("30", null), 10), ProofError.EMPTY_PROOF);
    assertRefused(() -> verify(empty, r(null, "3f"), 10), ProofError.EMPTY_PROOF);
    // with no bounds it claims the trie is empty, which it is not
    assertRefused(() -> verify(empty, KeyRange.ALL, 10), ProofError.ROOT_MISMATCH);
    // a single-key proof with no nodes
    Proof none = new Proof(b("33"), Optional.empty(), List.of());
    assertRefused(() -> ProofVerifier.verifyProof(none, db.root(), BF), ProofError.EMPTY_PROOF);
  }

  // ------------------------------------------------------------------ proof nodes

  @Test
  void proofNodeOnNeitherPath() {
    KeyRange r = r("1234", "1234");
    RangeProof p = range(r, 10);
    // a real node, under a child of "1" that leads to neither bound
    ProofNode stray = nodeAt("1567", "1567");
    RangeProof forged = new RangeProof(List.of(stray), p.endProof(), p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.PROOF_NODE_OFF_PATH);
  }

  @Test
  void proofNodeBelowTheBound() {
    KeyRange r = r("20", "20");
    RangeProof p = range(r, 10);
    assertThat(p.endProof().get(p.endProof().size() - 1).key()).isEqualTo(path("20"));
    // 2000 hangs under 20, the bound itself: the path to 20 has no business going there
    List<ProofNode> end = with(p.endProof(), p.endProof().size(), nodeAt("2000", "2000"));
    RangeProof forged = new RangeProof(List.of(), end, p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.PROOF_NODE_OFF_PATH);
  }

  @Test
  void twoProofNodesUnderOneChild() {
    KeyRange r = r("1234", "1234");
    RangeProof p = range(r, 10);
    ProofNode fake = new ProofNode(path("12ff"), Optional.empty(), new TreeMap<>());
    RangeProof forged = new RangeProof(List.of(fake), p.endProof(), p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.PROOF_NODE_OFF_PATH);
  }

  @Test
  void proofNodesOutOfOrder() {
    KeyRange r = r("30", "33");
    RangeProof p = range(r, 10);
    List<ProofNode> reversed = new ArrayList<>(p.endProof());
    java.util.Collections.reverse(reversed);
    RangeProof forged = new RangeProof(p.startProof(), reversed, p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.DISCONNECTED_PROOF_NODES);
  }

  @Test
  void proofNodeUnderAChildItsParentDoesNotHave() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    // the root has no child 6
    ProofNode orphan = new ProofNode(path("60"), Optional.of(b("01")), new TreeMap<>());
    RangeProof forged = new RangeProof(List.of(orphan), p.endProof(), p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.DISCONNECTED_PROOF_NODES);
  }

  @Test
  void proofNodesWithNoCommonRoot() {
    KeyRange r = r("1234", "33");
    RangeProof p = range(r, 10);
    // drop the root from the end path: what is left of the two paths hangs from nothing
    RangeProof forged = new RangeProof(p.startProof(), without(p.endProof(), 0), p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.DISCONNECTED_PROOF_NODES);
  }

  @Test
  void twoDifferentNodesAtOnePath() {
    KeyRange r = r("1234", "33");
    RangeProof p = range(r, 10);
    ProofNode root = p.endProof().get(0);
    ProofNode otherRoot = withChild(root, 9, Hash.of(new byte[32]));
    List<ProofNode> start = with(p.startProof(), 0, otherRoot);
    RangeProof forged = new RangeProof(start, p.endProof(), p.keyValues());
    assertRefused(() -> verify(forged, r, 10), ProofError.INCONSISTENT_PROOF_NODES);
  }

  @Test
  void valueAtAPathInsideAByte() {
    // "1" is half a byte: no key can end there
    Proof p = db.proof(b("1234"));
    assertThat(p.path().get(1).key()).isEqualTo(path("1"));
    List<ProofNode> nodes = new ArrayList<>(p.path());
    nodes.set(1, withValue(p.path().get(1), Optional.of(b("01"))));
    Proof forged = new Proof(p.key(), p.value(), nodes);
    assertRefused(
        () -> ProofVerifier.verifyProof(forged, db.root(), BF), ProofError.INVALID_PROOF_NODE);
  }

  @Test
  void childIndexBeyondTheBranchFactor() {
    Proof p = db.proof(b("1234"));
    List<ProofNode> nodes = new ArrayList<>(p.path());
    nodes.set(0, withChild(p.path().get(0), 16, Hash.of(new byte[32])));
    Proof forged = new Proof(p.key(), p.value(), nodes);
    assertRefused(
        () -> ProofVerifier.verifyProof(forged, db.root(), BF), ProofError.INVALID_PROOF_NODE);
  }

  @Test
  void malformedNodesOnTheWire() {
    io.ferry.wire.v1.Proof good = ProofCodec.encode(db.proof(b("1234")));
    io.ferry.wire.v1.ProofNode node = good.getProof(1);
    List<io.ferry.wire.v1.ProofNode> bad = new ArrayList<>();
    // a path length that is not whole 4-bit tokens
    bad.add(node.toBuilder().setKey(node.getKey().toBuilder().setLength(3)).build());
    // bits set past the path's length
    bad.add(
        node.toBuilder()
            .setKey(node.getKey().toBuilder().setValue(ByteString.copyFrom(new byte[] {0x11})))
            .build());
    // a child index beyond 15
    bad.add(node.toBuilder().putChildren(16, ByteString.copyFrom(new byte[32])).build());
    // a child id that is not 32 bytes
    bad.add(node.toBuilder().putChildren(3, ByteString.copyFrom(new byte[31])).build());
    // a value digest longer than a hash
    bad.add(node.toBuilder().setValueOrHash(ProofCodec.maybe(Bytes.wrap(new byte[33]))).build());
    for (io.ferry.wire.v1.ProofNode n : bad) {
      io.ferry.wire.v1.Proof msg = good.toBuilder().setProof(1, n).build();
      byte[] bytes = msg.toByteArray();
      assertRefused(() -> WireBytes.proof(bytes, BF), ProofError.INVALID_PROOF_NODE);
    }
    // and bytes that are not a protobuf message at all
    assertThatThrownBy(() -> WireBytes.proof(new byte[] {0x0a, 0x05, 0x01}, BF))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ENCODING));
  }

  // ------------------------------------------------------------------ forged exclusion / inclusion

  @Test
  void droppingTheStartKeyFromARangeProof() {
    KeyRange r = r("31", "35");
    RangeProof p = range(r, 10);
    assertThat(p.keyValues().get(0).key()).isEqualTo(b("31"));
    // 31's node is on the start path and shows a value the key-values now deny
    RangeProof forged = withKeyValues(p, without(p.keyValues(), 0));
    assertRefused(() -> verify(forged, r, 10), ProofError.VALUE_MISMATCH);
  }

  @Test
  void droppingAKeyInTheMiddle() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    assertThat(p.keyValues().get(2).key()).isEqualTo(b("33"));
    RangeProof forged = withKeyValues(p, without(p.keyValues(), 2));
    assertRefused(() -> verify(forged, r, 10), ProofError.ROOT_MISMATCH);
  }

  @Test
  void tamperedValue() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    List<KeyValue> kvs = new ArrayList<>(p.keyValues());
    kvs.set(2, new KeyValue(b("33"), b("3334")));
    assertRefused(() -> verify(withKeyValues(p, kvs), r, 10), ProofError.ROOT_MISMATCH);

    // a value stored as its hash, inside the range (not the last key, whose node is in the proof)
    KeyRange r5 = r("40", "7f");
    RangeProof q = range(r5, 10);
    assertThat(q.keyValues()).extracting(KeyValue::key).containsExactly(b("50"), b("7f"));
    byte[] v = new byte[40];
    v[39] = 1;
    List<KeyValue> kvs5 = new ArrayList<>(q.keyValues());
    kvs5.set(0, new KeyValue(b("50"), Bytes.wrap(v)));
    assertRefused(() -> verify(withKeyValues(q, kvs5), r5, 10), ProofError.ROOT_MISMATCH);
    // the last key's value is checked against its own node
    List<KeyValue> kvs7 = new ArrayList<>(q.keyValues());
    kvs7.set(1, new KeyValue(b("7f"), b("01")));
    assertRefused(() -> verify(withKeyValues(q, kvs7), r5, 10), ProofError.VALUE_MISMATCH);
  }

  @Test
  void exclusionProofOfAPresentKey() {
    Proof p = db.proof(b("1234"));
    assertThat(p.value()).contains(b("0b"));
    ProofVerifier.verifyProof(p, db.root(), BF);

    // the value removed: the key's node still shows it
    Proof noValue = new Proof(p.key(), Optional.empty(), p.path());
    assertRefused(
        () -> ProofVerifier.verifyProof(noValue, db.root(), BF), ProofError.VALUE_MISMATCH);

    // the path cut before the key's node: "1" lists the child toward it
    List<ProofNode> cut = without(p.path(), p.path().size() - 1);
    Proof truncated = new Proof(p.key(), Optional.empty(), cut);
    assertRefused(
        () -> ProofVerifier.verifyProof(truncated, db.root(), BF), ProofError.MISSING_START_PROOF);

    // the value removed from the key's node too: it no longer hashes to what "1" lists
    List<ProofNode> nodes = new ArrayList<>(p.path());
    nodes.set(nodes.size() - 1, withValue(nodes.get(nodes.size() - 1), Optional.empty()));
    Proof erased = new Proof(p.key(), Optional.empty(), nodes);
    assertRefused(() -> ProofVerifier.verifyProof(erased, db.root(), BF), ProofError.ROOT_MISMATCH);

    // another value
    Proof other = new Proof(p.key(), Optional.of(b("0c")), p.path());
    assertRefused(() -> ProofVerifier.verifyProof(other, db.root(), BF), ProofError.VALUE_MISMATCH);
  }

  @Test
  void inclusionProofOfAnAbsentKeyOnACompressedEdge() {
    // 12 lies on the edge from "1" down to 1234, where there is no node
    Proof p = db.proof(b("12"));
    assertThat(p.value()).isEmpty();
    ProofVerifier.verifyProof(p, db.root(), BF);
    Proof forged = new Proof(b("12"), Optional.of(b("0b")), p.path());
    assertRefused(
        () -> ProofVerifier.verifyProof(forged, db.root(), BF), ProofError.VALUE_MISMATCH);
  }

  @Test
  void inclusionProofOfAnAbsentKeyUnderAMissingChild() {
    // the root has no child 6
    Proof p = db.proof(b("60"));
    assertThat(p.value()).isEmpty();
    ProofVerifier.verifyProof(p, db.root(), BF);
    Proof forged = new Proof(b("60"), Optional.of(b("01")), p.path());
    assertRefused(
        () -> ProofVerifier.verifyProof(forged, db.root(), BF), ProofError.VALUE_MISMATCH);
  }

  @Test
  void extraKeyWhereTheProofNodesShowNone() {
    // on the compressed edge above the last key
    KeyRange r = r(null, "1234");
    RangeProof p = range(r, 10);
    List<KeyValue> kvs = with(p.keyValues(), 1, new KeyValue(b("12"), b("01")));
    assertRefused(() -> verify(withKeyValues(p, kvs), r, 10), ProofError.VALUE_MISMATCH);

    // under a child the end path's node does not have
    KeyRange r2 = r("5f", "60");
    RangeProof q = range(r2, 10);
    assertThat(q.keyValues()).isEmpty();
    RangeProof smuggled = withKeyValues(q, List.of(new KeyValue(b("60"), b("01"))));
    assertRefused(() -> verify(smuggled, r2, 10), ProofError.VALUE_MISMATCH);
  }

  @Test
  void wrongRoot() {
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    Hash before = db.root();
    db.commit(new Batch().put(b("a1"), b("01")));
    assertRefused(
        () -> ProofVerifier.verifyRangeProof(p, r, 10, db.root(), BF), ProofError.ROOT_MISMATCH);
    Proof single = db.proof(b("33"));
    assertRefused(() -> ProofVerifier.verifyProof(single, before, BF), ProofError.ROOT_MISMATCH);
  }

  // ------------------------------------------------------------------ deleted ranges

  @Test
  void rangeWhoseKeysWereAllDeleted() {
    Batch deletes = new Batch();
    for (int i = 1; i <= 5; i++) {
      deletes.delete(b("3" + i));
    }
    db.commit(deletes);
    KeyRange r = r("30", "3f");
    RangeProof p = range(r, 10);
    assertThat(p.keyValues()).isEmpty();
    assertThat(p.startProof().size() + p.endProof().size()).isPositive();

    // a deleted key smuggled back, with its old value
    RangeProof smuggled = withKeyValues(p, List.of(new KeyValue(b("33"), model.get(b("33")))));
    assertRefused(() -> verify(smuggled, r, 10), ProofError.VALUE_MISMATCH);
    // or a key that never was
    RangeProof invented = withKeyValues(p, List.of(new KeyValue(b("3f"), b("01"))));
    assertRefused(() -> verify(invented, r, 10), ProofError.VALUE_MISMATCH);
  }

  // ------------------------------------------------------------------ change proofs

  /** A second store at the current root, and the store moved on by {@code change}. */
  private MerkleDB localAtHeadThen(Batch change) {
    MerkleDB local = memoryDb(BF, 4);
    local.commit(Batch.of(kvs(model)));
    assertThat(local.root()).isEqualTo(db.root());
    db.commit(change);
    return local;
  }

  private View applyChanges(ChangeProof p, KeyRange r, int keyLimit, Hash end, MerkleDB local) {
    try (StateSnapshot snap = local.snapshot()) {
      return ProofVerifier.verifyChangeProof(p, r, keyLimit, end, snap);
    }
  }

  /**
   * A change proof claiming {@code changes} over {@code r} with well-formed boundary paths in the
   * current (end) trie: to the start, and to the last change or the end of the range, as an honest
   * server builds them. Only the claim is false.
   */
  private ChangeProof withPaths(KeyRange r, List<KeyChange> changes) {
    Bytes last = changes.isEmpty() ? r.end().get() : changes.get(changes.size() - 1).key();
    List<ProofNode> end = db.proof(last).path();
    List<ProofNode> start = db.proof(r.start().get()).path();
    int shared = 0;
    while (shared < start.size()
        && shared < end.size()
        && start.get(shared).key().equals(end.get(shared).key())) {
      shared++;
    }
    return new ChangeProof(start.subList(shared, start.size()), end, changes);
  }

  private void assertChangeRefused(
      ChangeProof p, KeyRange r, Hash end, MerkleDB local, ProofError reason) {
    assertRefused(() -> applyChanges(p, r, 10, end, local), reason);
  }

  @Test
  void changeProofWithoutTheChangeAtTheStartKey() {
    Hash start = db.root();
    try (MerkleDB local =
        localAtHeadThen(new Batch().put(b("31"), b("01")).put(b("33"), b("02")))) {
      KeyRange r = r("31", "35");
      ChangeProof p = db.changeProof(start, db.root(), r, 10, BIG);
      assertThat(p.keyChanges()).extracting(KeyChange::key).containsExactly(b("31"), b("33"));
      applyChanges(p, r, 10, db.root(), local);
      ChangeProof forged =
          new ChangeProof(p.startProof(), p.endProof(), without(p.keyChanges(), 0));
      assertChangeRefused(forged, r, db.root(), local, ProofError.VALUE_MISMATCH);
    }
  }

  @Test
  void changeProofWithoutTheDeleteOfTheStartKey() {
    Hash start = db.root();
    try (MerkleDB local = localAtHeadThen(new Batch().delete(b("31")))) {
      KeyRange r = r("31", "35");
      ChangeProof p = db.changeProof(start, db.root(), r, 10, BIG);
      assertThat(p.keyChanges()).containsExactly(KeyChange.delete(b("31")));
      applyChanges(p, r, 10, db.root(), local);
      // 31 is gone from the end trie, so no proof node shows it: the local copy must not survive
      ChangeProof forged = withPaths(r, List.of());
      assertChangeRefused(forged, r, db.root(), local, ProofError.VALUE_MISMATCH);
    }
  }

  @Test
  void changeProofWithoutTheChangeAtTheEndKey() {
    Hash start = db.root();
    try (MerkleDB local = localAtHeadThen(new Batch().put(b("35"), b("01")))) {
      KeyRange r = r("31", "35");
      ChangeProof p = db.changeProof(start, db.root(), r, 10, BIG);
      assertThat(p.keyChanges()).containsExactly(KeyChange.put(b("35"), b("01")));
      ChangeProof forged = withPaths(r, List.of());
      assertChangeRefused(forged, r, db.root(), local, ProofError.VALUE_MISMATCH);
    }
  }

  @Test
  void changeProofWithoutTheDeleteOfTheEndKey() {
    Hash start = db.root();
    try (MerkleDB local = localAtHeadThen(new Batch().delete(b("35")))) {
      KeyRange r = r("31", "35");
      ChangeProof p = db.changeProof(start, db.root(), r, 10, BIG);
      assertThat(p.keyChanges()).containsExactly(KeyChange.delete(b("35")));
      applyChanges(p, r, 10, db.root(), local);
      ChangeProof forged = withPaths(r, List.of());
      assertChangeRefused(forged, r, db.root(), local, ProofError.VALUE_MISMATCH);
    }
  }

  @Test
  void changeProofCutBeforeTheEndKeyButKeepingItsPath() {
    Hash start = db.root();
    try (MerkleDB local =
        localAtHeadThen(new Batch().put(b("32"), b("01")).put(b("35"), b("02")))) {
      KeyRange r = r("31", "35");
      ChangeProof p = db.changeProof(start, db.root(), r, 10, BIG);
      ChangeProof forged =
          new ChangeProof(p.startProof(), p.endProof(), without(p.keyChanges(), 1));
      assertChangeRefused(forged, r, db.root(), local, ProofError.PROOF_NODE_OFF_PATH);
    }
  }

  @Test
  void changeThatChangesNothing() {
    Hash start = db.root();
    try (MerkleDB local = localAtHeadThen(new Batch().put(b("32"), b("01")))) {
      KeyRange r = r("31", "35");
      ChangeProof p = db.changeProof(start, db.root(), r, 10, BIG);
      // a delete of a key neither side has, before the real change
      List<KeyChange> extra = with(p.keyChanges(), 0, KeyChange.delete(b("3100")));
      ChangeProof forged = new ChangeProof(p.startProof(), p.endProof(), extra);
      assertChangeRefused(forged, r, db.root(), local, ProofError.VALUE_MISMATCH);
      // a put of the value the key already has
      List<KeyChange> same = with(p.keyChanges(), 0, KeyChange.put(b("31"), model.get(b("31"))));
      ChangeProof forged2 = new ChangeProof(p.startProof(), p.endProof(), same);
      assertChangeRefused(forged2, r, db.root(), local, ProofError.VALUE_MISMATCH);
    }
  }

  @Test
  void honestChangeProofOfOnlyDeletes() {
    Hash start = db.root();
    try (MerkleDB local =
        localAtHeadThen(new Batch().delete(b("1234")).delete(b("33")).delete(b("a0")))) {
      ChangeProof p = db.changeProof(start, db.root(), KeyRange.ALL, 10, BIG);
      assertThat(p.keyChanges()).allMatch(KeyChange::isDelete).hasSize(3);
      local.commit(applyChanges(p, KeyRange.ALL, 10, db.root(), local));
      assertThat(local.root()).isEqualTo(db.root());
    }
  }

  @Test
  void honestChangeProofToTheEmptyTrieOverPartOfTheKeys() {
    Hash start = db.root();
    Batch all = new Batch();
    model.keySet().forEach(all::delete);
    try (MerkleDB local = localAtHeadThen(all)) {
      assertThat(db.root()).isEqualTo(Hash.ZERO);
      KeyRange r = r("30", "3f");
      ChangeProof p = db.changeProof(start, Hash.ZERO, r, 10, BIG);
      assertThat(p.keyChanges()).hasSize(5);
      // the local store keeps keys outside the range, which later proofs delete
      local.commit(applyChanges(p, r, 10, Hash.ZERO, local));
      assertThat(local.get(b("10"))).isPresent();
      assertThat(local.get(b("33"))).isEmpty();
      // but a proof that leaves a key of the range in place is refused
      ChangeProof forged = new ChangeProof(List.of(), List.of(), without(p.keyChanges(), 2));
      try (MerkleDB fresh = memoryDb(BF, 4)) {
        fresh.commit(Batch.of(kvs(model)));
        assertRefused(
            () -> applyChanges(forged, r, 10, Hash.ZERO, fresh), ProofError.ROOT_MISMATCH);
      }
    }
  }

  // ------------------------------------------------------------------ server side

  @Test
  void byteLimitHalvesTheKeysUntilTheProofFits() {
    try (MerkleDB big = memoryDb(BF, 4)) {
      Batch batch = new Batch();
      for (int i = 0; i < 40; i++) {
        batch.put(Bytes.wrap(new byte[] {(byte) i, 1}), Bytes.wrap(new byte[20]));
      }
      big.commit(batch);
      TreeMap<Integer, Integer> size = new TreeMap<>();
      for (int n : new int[] {40, 20, 10, 5, 2, 1}) {
        RangeProof p = big.rangeProof(big.root(), KeyRange.ALL, n, Limits.MAX_PROOF_BYTES);
        assertThat(p.keyValues()).hasSize(n);
        size.put(n, ProofCodec.encode(p).getSerializedSize());
      }
      // just too small for 20 key-values: 10 are sent
      int limit = size.get(20) - 1;
      assertThat(limit).isGreaterThanOrEqualTo(size.get(10));
      RangeProof p = big.rangeProof(big.root(), KeyRange.ALL, 40, limit);
      assertThat(p.keyValues()).hasSize(10);
      assertThat(ProofCodec.encode(p).getSerializedSize()).isLessThanOrEqualTo(limit);
      ProofVerifier.verifyRangeProof(p, KeyRange.ALL, 40, big.root(), BF);
      // just too small for one
      int tiny = size.get(1) - 1;
      assertThatThrownBy(() -> big.rangeProof(big.root(), KeyRange.ALL, 40, tiny))
          .isInstanceOfSatisfying(
              ProofException.class,
              e -> {
                assertThat(e.reason()).isEqualTo(ProofError.MIN_PROOF_SIZE_TOO_LARGE);
                assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED);
              });
    }
  }

  @Test
  void changeProofTooLargeForTheByteLimit() {
    Hash start = db.root();
    db.commit(new Batch().put(b("33"), Bytes.wrap(new byte[500])));
    assertThatThrownBy(() -> db.changeProof(start, db.root(), KeyRange.ALL, 10, 400))
        .isInstanceOfSatisfying(
            ProofException.class,
            e -> assertThat(e.reason()).isEqualTo(ProofError.MIN_PROOF_SIZE_TOO_LARGE));
  }

  @Test
  void nonPositiveLimitsAreInvalid() {
    Hash root = db.root();
    db.commit(new Batch().put(b("01"), b("01")));
    for (int[] limits : new int[][] {{0, BIG}, {10, 0}, {0, 0}, {-1, BIG}, {10, -5}}) {
      assertThatThrownBy(() -> db.rangeProof(db.root(), KeyRange.ALL, limits[0], limits[1]))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
      assertThatThrownBy(() -> db.changeProof(root, db.root(), KeyRange.ALL, limits[0], limits[1]))
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
  }

  @Test
  void rootsOlderThanTheHistoryWindow() {
    try (MerkleDB small = memoryDb(BF, 3)) {
      List<Hash> roots = new ArrayList<>();
      for (int i = 1; i <= 6; i++) {
        small.commit(new Batch().put(Bytes.wrap(new byte[] {(byte) i}), b("01")));
        roots.add(small.root());
      }
      assertThat(small.revisions()).hasSize(3);
      Hash old = roots.get(2); // height 3: just out of the window (4, 5, 6)
      Hash kept = roots.get(3);
      assertThat(small.hasRoot(old)).isFalse();
      assertThat(small.hasRoot(kept)).isTrue();
      for (ThrowingCallable call :
          List.<ThrowingCallable>of(
              () -> small.rangeProof(old, KeyRange.ALL, 10, BIG),
              () -> small.changeProof(old, small.root(), KeyRange.ALL, 10, BIG),
              () -> small.changeProof(kept, old, KeyRange.ALL, 10, BIG),
              () -> small.rangeProof(Hash.of(new byte[32]), KeyRange.ALL, 10, BIG))) {
        assertThatThrownBy(call)
            .isInstanceOfSatisfying(
                FerryException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INSUFFICIENT_HISTORY));
      }
      // the oldest kept root still serves both kinds of proof
      RangeProof p = small.rangeProof(kept, KeyRange.ALL, 10, BIG);
      ProofVerifier.verifyRangeProof(p, KeyRange.ALL, 10, kept, BF);
      assertThat(p.keyValues()).hasSize(4);
      ChangeProof c = small.changeProof(kept, small.root(), KeyRange.ALL, 10, BIG);
      assertThat(c.keyChanges()).hasSize(2);
    }
  }

  @Test
  void changeProofStartMustBeOlderThanEnd() {
    Hash first = db.root();
    db.commit(new Batch().put(b("01"), b("01")));
    Hash second = db.root();
    for (ThrowingCallable call :
        List.<ThrowingCallable>of(
            () -> db.changeProof(second, second, KeyRange.ALL, 10, BIG),
            () -> db.changeProof(second, first, KeyRange.ALL, 10, BIG))) {
      assertThatThrownBy(call)
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT));
    }
    assertThat(db.changeProof(first, second, KeyRange.ALL, 10, BIG).keyChanges()).hasSize(1);
  }
}
