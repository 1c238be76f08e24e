package io.ferry.gossip.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.Hash;
import io.ferry.core.identity.NodeKey;
import io.ferry.gossip.store.ValueStore.Outcome;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValueStoreTest {
  private static final NodeKey A = key(1);
  private static final NodeKey B = key(2);

  static NodeKey key(int fill) {
    byte[] seed = new byte[32];
    java.util.Arrays.fill(seed, (byte) fill);
    return NodeKey.fromSeed(seed);
  }

  /** A value with a placeholder signature: the store judges nothing, so none is checked. */
  static SignedValue value(NodeKey origin, ValueKind kind, long wallclock, int payload) {
    Bytes index = kind.indexed() ? Bytes.wrap(new byte[] {(byte) payload}) : Bytes.EMPTY;
    return new SignedValue(
        origin.id(),
        kind,
        wallclock,
        index,
        Bytes.wrap(new byte[] {(byte) payload, 1, 2}),
        Bytes.wrap(new byte[SignedValue.SIGNATURE_LENGTH]));
  }

  private static Outcome offer(ValueStore store, SignedValue v) {
    Outcome would = store.wouldTake(v, v.hash());
    Outcome did = store.offer(v, v.hash());
    assertThat(did).isEqualTo(would);
    return did;
  }

  @Test
  void eachOutcome() {
    ValueStore store = new ValueStore(2);
    SignedValue a1 = value(A, ValueKind.CONTACT_INFO, 10, 1);
    assertThat(offer(store, a1)).isEqualTo(Outcome.NEW);
    assertThat(offer(store, a1)).isEqualTo(Outcome.DUPLICATE);
    assertThat(offer(store, value(A, ValueKind.CONTACT_INFO, 9, 2))).isEqualTo(Outcome.OLDER);
    SignedValue a2 = value(A, ValueKind.CONTACT_INFO, 11, 3);
    assertThat(offer(store, a2)).isEqualTo(Outcome.NEWER);
    assertThat(store.get(a1.key())).contains(a2);
    assertThat(offer(store, value(B, ValueKind.CONTACT_INFO, 1, 1))).isEqualTo(Outcome.NEW);
    // Full: a new key is refused, a newer value for a held key still taken.
    assertThat(offer(store, value(A, ValueKind.SNAPSHOT_HASHES, 1, 1))).isEqualTo(Outcome.FULL);
    assertThat(offer(store, value(B, ValueKind.CONTACT_INFO, 2, 1))).isEqualTo(Outcome.NEWER);
    assertThat(store.size()).isEqualTo(2);
    assertThat(Outcome.NEW.taken()).isTrue();
    assertThat(Outcome.NEWER.taken()).isTrue();
    assertThat(Outcome.DUPLICATE.taken()).isFalse();
    assertThat(Outcome.OLDER.taken()).isFalse();
    assertThat(Outcome.FULL.taken()).isFalse();
  }

  @Test
  void ofTwoValuesWithOneWallclockTheLargerHashWinsWhicheverCameFirst() {
    SignedValue x = value(A, ValueKind.CONTACT_INFO, 10, 1);
    SignedValue y = value(A, ValueKind.CONTACT_INFO, 10, 2);
    SignedValue winner = x.hash().compareTo(y.hash()) > 0 ? x : y;
    SignedValue loser = winner == x ? y : x;
    ValueStore one = new ValueStore(10);
    ValueStore other = new ValueStore(10);
    assertThat(offer(one, loser)).isEqualTo(Outcome.NEW);
    assertThat(offer(one, winner)).isEqualTo(Outcome.NEWER);
    assertThat(offer(other, winner)).isEqualTo(Outcome.NEW);
    assertThat(offer(other, loser)).isEqualTo(Outcome.OLDER);
    assertThat(one.get(x.key())).contains(winner).isEqualTo(other.get(x.key()));
  }

  @Test
  void indexedKindsHoldOneValuePerIndex() {
    ValueStore store = new ValueStore(10);
    offer(store, value(A, ValueKind.PROVIDER, 1, 1));
    offer(store, value(A, ValueKind.PROVIDER, 1, 2));
    assertThat(store.values(ValueKind.PROVIDER)).hasSize(2);
  }

  @Test
  void valuesComeInInsertionOrderAndExpiredOnesAreRemoved() {
    ValueStore store = new ValueStore(11);
    List<SignedValue> offered = new ArrayList<>();
    for (int i = 10; i > 0; i--) {
      SignedValue v = value(key(i), ValueKind.CONTACT_INFO, i, i);
      offered.add(v);
      offer(store, v);
    }
    offer(store, value(A, ValueKind.SNAPSHOT_HASHES, 5, 5));
    assertThat(store.values(ValueKind.CONTACT_INFO)).containsExactlyElementsOf(offered);
    assertThat(store.removeIf(v -> v.wallclock() < 5)).isEqualTo(4);
    assertThat(store.values(ValueKind.CONTACT_INFO))
        .containsExactlyElementsOf(offered.subList(0, 6));
    assertThat(store.values(ValueKind.SNAPSHOT_HASHES)).hasSize(1);
    assertThat(store.size()).isEqualTo(7);
  }

  @Test
  void aPartIsTheHashesWhoseTopBitsMatchTheMask() {
    byte[] b = new byte[32];
    b[0] = (byte) 0b1010_0000;
    Hash h = Hash.of(b);
    assertThat(ValueStore.inPart(h, 0, 0)).isTrue();
    assertThat(ValueStore.inPart(h, 1, Long.MIN_VALUE)).isTrue();
    assertThat(ValueStore.inPart(h, 1, 0)).isFalse();
    assertThat(ValueStore.inPart(h, 3, 0b101L << 61)).isTrue();
    assertThat(ValueStore.inPart(h, 3, (0b101L << 61) | 0xffff)).isTrue(); // low bits ignored
    assertThat(ValueStore.inPart(h, 4, 0b1011L << 60)).isFalse();
    assertThat(ValueStore.inPart(h, 32, 0xa000_0000L << 32)).isTrue();
    assertThat(ValueStore.inPart(h, 32, 0xa000_0001L << 32)).isFalse();
  }

  @Test
  void aFilterOfEveryHeldHashLeavesNothingMissing() {
    ValueStore store = new ValueStore(100);
    for (int i = 0; i < 50; i++) {
      offer(store, value(key(i), ValueKind.CONTACT_INFO, i, i));
    }
    List<Hash> all = store.hashesIn(0, 0);
    assertThat(all).hasSize(50);
    BloomFilter filter = BloomFilter.forItems(all.size(), 0.1, 3);
    all.forEach(filter::add);
    assertThat(store.missingFrom(filter, 0, 0, 1000, 1 << 20, 17)).isEmpty();
    BloomFilter empty = BloomFilter.forItems(0, 0.1, 3);
    assertThat(store.missingFrom(empty, 0, 0, 1000, 1 << 20, 17)).hasSize(50);
    assertThat(store.missingFrom(empty, 0, 0, 7, 1 << 20, 17)).hasSize(7);
    assertThat(store.missingFrom(empty, 0, 0, 1000, 0, 17)).isEmpty();
  }
}
