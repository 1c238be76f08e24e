package io.ferry.merkledb.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link KvStore} does, whatever it keeps its data in: columns of its users' choosing,
 * deletes to a column's end, truncates and key estimates. Each store's test extends it with how to
 * open and reopen that store.
 */
public abstract class KvStoreContract {
  /** Columns of a user other than the MerkleDB: an ordinary one, a small one and a blob one. */
  protected static final Column BIG = new Column("big", false);

  protected static final Column SMALL = new Column("small", true);

  protected static final Column BLOB = Column.blob("blob");

  protected static final List<Column> COLUMNS = List.of(BIG, SMALL, BLOB);

  private KvStore store;

  /** Opens the store under test with {@link #COLUMNS}, fresh for each test. */
  protected abstract KvStore open();

  /** Closes {@code store} and opens it again from what it kept. */
  protected abstract KvStore reopen(KvStore store);

  private KvStore store() {
    if (store == null) {
      store = open();
    }
    return store;
  }

  private void reopen() {
    store = reopen(store());
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  protected static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private List<String> keys(Column column) {
    List<String> out = new ArrayList<>();
    try (StoreIterator it = store().scan(column, null, null)) {
      while (it.next()) {
        out.add(new String(it.key(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  private void put(Column column, String... keys) {
    WriteBatch batch = new WriteBatch();
    for (String k : keys) {
      batch.put(column, b(k), b("v-" + k));
    }
    store().write(batch);
  }

  @Test
  void aBlobColumnKeepsLargeAndSmallValuesThroughAReopenAndDeletesThem() {
    byte[] large = new byte[64 * 1024];
    for (int i = 0; i < large.length; i++) {
      large[i] = (byte) (i * 31 + 7);
    }
    store().write(new WriteBatch().put(BLOB, b("large"), large).put(BLOB, b("small"), b("1")));
    store().sync();
    reopen();
    assertThat(store().get(BLOB, b("large"))).isEqualTo(large);
    assertThat(store().get(BLOB, b("small"))).isEqualTo(b("1"));
    assertThat(keys(BLOB)).containsExactly("large", "small");
    store().write(new WriteBatch().delete(BLOB, b("large")));
    reopen();
    assertThat(store().get(BLOB, b("large"))).isNull();
    assertThat(keys(BLOB)).containsExactly("small");
  }

  @Test
  void columnsAreSeparateKeySpaces() {
    store().write(new WriteBatch().put(BIG, b("k"), b("1")).put(SMALL, b("k"), b("2")));
    reopen();
    assertThat(store().get(BIG, b("k"))).isEqualTo(b("1"));
    assertThat(store().get(SMALL, b("k"))).isEqualTo(b("2"));
    store().write(new WriteBatch().delete(SMALL, b("k")));
    assertThat(keys(BIG)).containsExactly("k");
    assertThat(keys(SMALL)).isEmpty();
  }

  @Test
  void aDeleteFromRemovesEveryKeyToTheEndPutEarlierInItsBatchToo() {
    put(BIG, "a", "b", "c", "d");
    put(SMALL, "c");
    store()
        .write(
            new WriteBatch()
                .put(BIG, b("zz"), b("early"))
                .deleteFrom(BIG, b("b"))
                .put(BIG, b("zzz"), b("late")));
    assertThat(keys(BIG)).containsExactly("a", "zzz");
    assertThat(keys(SMALL)).containsExactly("c");
    reopen();
    assertThat(keys(BIG)).containsExactly("a", "zzz");
  }

  @Test
  void aDeleteFromPastTheLastKeyOrInAnEmptyColumnDeletesNothing() {
    store().write(new WriteBatch().deleteFrom(SMALL, new byte[0]));
    put(BIG, "a", "b");
    store().write(new WriteBatch().deleteFrom(BIG, b("b\0")));
    assertThat(keys(BIG)).containsExactly("a", "b");
    store().write(new WriteBatch().deleteFrom(BIG, new byte[0]));
    assertThat(keys(BIG)).isEmpty();
    assertThat(keys(SMALL)).isEmpty();
  }

  @Test
  void aTruncateEmptiesOneColumnForGoodAndLeavesTheOthers() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      many.add(String.format("k%04d", i));
    }
    put(BIG, many.toArray(String[]::new));
    put(SMALL, "s");
    store().truncate(BIG);
    assertThat(keys(BIG)).isEmpty();
    assertThat(store().get(BIG, b("k0001"))).isNull();
    assertThat(store().estimateKeys(BIG)).isZero();
    assertThat(keys(SMALL)).containsExactly("s");
    put(BIG, "after");
    reopen();
    assertThat(keys(BIG)).containsExactly("after");
    assertThat(keys(SMALL)).containsExactly("s");
  }

  @Test
  void theKeyEstimateFollowsWritesAndDeletes() {
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      many.add(String.format("k%04d", i));
    }
    assertThat(store().estimateKeys(BIG)).isZero();
    put(BIG, many.toArray(String[]::new));
    assertThat(store().estimateKeys(BIG)).isBetween(1800L, 2200L);
    assertThat(store().estimateKeys(SMALL)).isZero();
  }
}
