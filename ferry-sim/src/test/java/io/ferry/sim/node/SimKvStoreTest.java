package io.ferry.sim.node;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.ferry.core.runtime.SeededRandomSource;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.KvStoreContract;
import io.ferry.merkledb.store.WriteBatch;
import io.ferry.sim.SimDisk;
import org.junit.jupiter.api.Test;

/**
 * The simulated disk loses what was not synced; the store on it recovers like RocksDB's log, and
 * keeps the contract of every store.
 */
class SimKvStoreTest extends KvStoreContract {
  private final SimDisk contractDisk = new SimDisk();

  @Override
  protected KvStore open() {
    return new SimKvStore(contractDisk, "contract/", true);
  }

  @Override
  protected KvStore reopen(KvStore store) {
    store.close();
    contractDisk.crash(new SeededRandomSource(9)); // every write was synced: nothing is lost
    return open();
  }

  @Test
  void aTruncateIsDurableAtOnceAndLeavesNoLogBehind() {
    SimDisk disk = new SimDisk();
    SimKvStore store = new SimKvStore(disk, "s/", false);
    store.write(put("a", "1"));
    store.write(new WriteBatch().put(SMALL, b("p"), b("1")));
    store.truncate(Column.VALUES);
    assertThat(disk.list("s/log/")).isEmpty();
    store.write(put("b", "2")); // unsynced: lost below
    disk.crash(new SeededRandomSource(4));
    SimKvStore reopened = new SimKvStore(disk, "s/", false);
    assertThat(reopened.get(Column.VALUES, b("a"))).isNull();
    assertThat(reopened.get(Column.VALUES, b("b"))).isNull();
    assertThat(reopened.get(SMALL, b("p"))).isEqualTo(b("1"));
  }

  private static WriteBatch put(String k, String v) {
    return new WriteBatch().put(Column.VALUES, b(k), b(v));
  }

  @Test
  void aCrashUndoesUnsyncedWritesAndKeepsSyncedOnes() {
    SimDisk disk = new SimDisk();
    disk.put("a", ByteString.copyFromUtf8("1"));
    disk.write("b", ByteString.copyFromUtf8("2"));
    disk.write("a", ByteString.copyFromUtf8("3"));
    assertThat(disk.get("a")).contains(ByteString.copyFromUtf8("3"));
    disk.crash(new SeededRandomSource(1));
    // "a" is back to its synced value, or (torn) a prefix of the lost write; "b" never synced.
    ByteString a = disk.get("a").orElseThrow();
    assertThat(a.equals(ByteString.copyFromUtf8("1")) || a.size() < 1).isTrue();
    assertThat(disk.get("b").map(ByteString::size).orElse(0)).isLessThan(1);
    assertThat(disk.lostWrites()).isEqualTo(2);

    disk.write("c", ByteString.copyFromUtf8("4"));
    disk.sync();
    disk.crash(new SeededRandomSource(2));
    assertThat(disk.get("c")).contains(ByteString.copyFromUtf8("4"));
  }

  @Test
  void aSyncedStoreReopensWithEveryBatch() {
    SimDisk disk = new SimDisk();
    SimKvStore store = new SimKvStore(disk, "s/", true);
    for (int i = 0; i < SimKvStore.CHECKPOINT_EVERY + 10; i++) {
      store.write(put("k" + i, "v" + i));
    }
    store.write(new WriteBatch().delete(Column.VALUES, b("k3")));
    disk.crash(new SeededRandomSource(3));
    SimKvStore reopened = new SimKvStore(disk, "s/", true);
    assertThat(reopened.get(Column.VALUES, b("k0"))).isEqualTo(b("v0"));
    assertThat(reopened.get(Column.VALUES, b("k" + (SimKvStore.CHECKPOINT_EVERY + 9))))
        .isEqualTo(b("v" + (SimKvStore.CHECKPOINT_EVERY + 9)));
    assertThat(reopened.get(Column.VALUES, b("k3"))).isNull();
  }

  @Test
  void aSyncKeepsEveryBatchAnUnsyncedStoreWroteBeforeIt() {
    SimDisk disk = new SimDisk();
    SimKvStore store = new SimKvStore(disk, "s/", false);
    store.write(put("a", "1"));
    store.write(put("b", "2"));
    store.sync();
    store.write(put("c", "3")); // after the sync: lost below
    disk.crash(new SeededRandomSource(5));
    SimKvStore reopened = new SimKvStore(disk, "s/", false);
    assertThat(reopened.get(Column.VALUES, b("a"))).isEqualTo(b("1"));
    assertThat(reopened.get(Column.VALUES, b("b"))).isEqualTo(b("2"));
    assertThat(reopened.get(Column.VALUES, b("c"))).isNull();
  }

  @Test
  void anUnsyncedStoreLosesItsTailButNeverHalfABatch() {
    for (long seed = 0; seed < 20; seed++) {
      SimDisk disk = new SimDisk();
      SimKvStore store = new SimKvStore(disk, "s/", false);
      store.write(put("x", "1"));
      disk.sync(); // what a checkpoint or an fsync of another file would do
      store.write(
          new WriteBatch().put(Column.VALUES, b("y"), b("2")).put(Column.VALUES, b("z"), b("3")));
      store.write(put("x", "4"));
      disk.crash(new SeededRandomSource(seed));
      SimKvStore reopened = new SimKvStore(disk, "s/", false);
      assertThat(reopened.get(Column.VALUES, b("x"))).isEqualTo(b("1"));
      // The two-key batch is there whole or not at all.
      assertThat(reopened.get(Column.VALUES, b("y")) == null)
          .isEqualTo(reopened.get(Column.VALUES, b("z")) == null);
      assertThat(reopened.get(Column.VALUES, b("y"))).isNull(); // it was never synced
      // Writing on after recovery works, whatever the crash left.
      reopened.write(put("w", "5"));
      assertThat(new SimKvStore(disk, "s/", false).get(Column.VALUES, b("w"))).isEqualTo(b("5"));
    }
  }
}
