package io.ferry.sync.push;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.KeyRange;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.MerkleTestSupport.Op;
import io.ferry.merkledb.Revision;
import io.ferry.net.testing.TestNet;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Re-applying a commit whose batch was changed in any single way that changes the state it makes (a
 * value changed, a key added, a change removed, a key renamed) never reaches the signed root: it is
 * a wrong root, and the store is left as it was. The true commit then applies.
 */
class CommitReplayProperties {
  /** Keys of the generator are at most 3 bytes: this one is in no state. */
  private static final Bytes FRESH = Bytes.wrap(new byte[] {0x42, 0x42, 0x42, 0x42});

  enum Tamper {
    CHANGE_VALUE,
    ADD_KEY,
    REMOVE_CHANGE,
    RENAME_KEY
  }

  @Provide
  Arbitrary<List<List<Op>>> histories() {
    return MerkleTestSupport.histories(5, 12);
  }

  @Property(tries = 200)
  void aTamperedBatchIsAWrongRootAndTheStoreIsUnchanged(
      @ForAll("histories") List<List<Op>> history,
      @ForAll Tamper tamper,
      @ForAll @IntRange(min = 0, max = 1000) int pick) {
    try (Chain chain = new Chain(TestNet.key(5), 5);
        MerkleDB replica = Chain.newDb()) {
      NavigableMap<Bytes, Bytes> base = new TreeMap<>();
      for (int i = 0; i < history.size(); i++) {
        Commit c = chain.commit(MerkleTestSupport.batchOf(history.get(i)));
        if (i < history.size() - 1) {
          MerkleTestSupport.apply(base, history.get(i));
          assertThat(CommitReplay.replay(replica, c)).isEqualTo(Applied.APPLIED);
        }
      }
      Commit last = chain.commits.getLast();
      Commit lie =
          new Commit(
              last.height(),
              last.parentRoot(),
              tampered(last.changes(), base, tamper, pick),
              last.head());

      Revision before = replica.revision();
      List<KeyValue> content = MerkleTestSupport.scan(replica, KeyRange.ALL);
      assertThat(CommitReplay.replay(replica, lie)).isEqualTo(Applied.WRONG_ROOT);
      assertThat(replica.revision()).isEqualTo(before);
      assertThat(MerkleTestSupport.scan(replica, KeyRange.ALL)).isEqualTo(content);

      assertThat(CommitReplay.replay(replica, last)).isEqualTo(Applied.APPLIED);
      assertThat(replica.revision()).isEqualTo(chain.db.revision());
    }
  }

  /** The batch changed once, in a way that changes the state it makes on {@code base}. */
  private static List<KeyChange> tampered(
      List<KeyChange> changes, NavigableMap<Bytes, Bytes> base, Tamper tamper, int pick) {
    List<KeyChange> out = new ArrayList<>(changes);
    switch (tamper) {
      case CHANGE_VALUE -> {
        if (out.isEmpty()) {
          return added(out);
        }
        int i = pick % out.size();
        KeyChange c = out.get(i);
        Bytes changed =
            c.value()
                .map(v -> Bytes.wrap(java.util.Arrays.copyOf(v.toByteArray(), v.length() + 1)))
                .orElse(Bytes.wrap(new byte[] {7}));
        out.set(i, KeyChange.put(c.key(), changed));
      }
      case ADD_KEY -> {
        return added(out);
      }
      case REMOVE_CHANGE -> {
        List<Integer> effective = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
          KeyChange c = out.get(i);
          if (!c.value().equals(Optional.ofNullable(base.get(c.key())))) {
            effective.add(i);
          }
        }
        if (effective.isEmpty()) {
          return added(out);
        }
        out.remove((int) effective.get(pick % effective.size()));
      }
      case RENAME_KEY -> {
        List<Integer> puts = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
          if (out.get(i).value().isPresent()) {
            puts.add(i);
          }
        }
        if (puts.isEmpty()) {
          return added(out);
        }
        int i = puts.get(pick % puts.size());
        KeyChange c = out.remove(i);
        out.add(KeyChange.put(FRESH, c.value().orElseThrow()));
        out.sort(java.util.Comparator.comparing(KeyChange::key));
      }
    }
    return out;
  }

  private static List<KeyChange> added(List<KeyChange> changes) {
    List<KeyChange> out = new ArrayList<>(changes);
    out.add(KeyChange.put(FRESH, Bytes.wrap(new byte[] {1})));
    out.sort(java.util.Comparator.comparing(KeyChange::key));
    return out;
  }
}
