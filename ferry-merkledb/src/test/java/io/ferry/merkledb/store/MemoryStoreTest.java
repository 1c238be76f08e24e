package io.ferry.merkledb.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The in-memory store keeps the contract of every store; it keeps nothing past the process. */
class MemoryStoreTest extends KvStoreContract {
  @Override
  protected KvStore open() {
    return new MemoryStore();
  }

  @Override
  protected KvStore reopen(KvStore store) {
    return store; // the same memory: what a reopen would read
  }

  @Test
  void itSyncsNothingAndListsTheColumnsWritten() {
    MemoryStore store = new MemoryStore();
    assertThat(store.syncWrites()).isFalse();
    store.write(new WriteBatch().put(SMALL, b("a"), b("1")).put(BIG, b("a"), b("1")));
    assertThat(store.columns()).containsExactly(BIG, SMALL);
  }
}
