package io.ferry.blocks.store;

import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;

/** The block store on the in-memory store (the simulator's); a restart reads the same memory. */
class MemoryBlockStoreTest extends BlockStoreContract {
  @Override
  protected KvStore openKv() {
    return new MemoryStore();
  }

  @Override
  protected KvStore reopenKv(KvStore kv) {
    return kv;
  }
}
