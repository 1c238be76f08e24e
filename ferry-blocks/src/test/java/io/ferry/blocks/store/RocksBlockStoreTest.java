package io.ferry.blocks.store;

import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.RocksStore;
import java.nio.file.Path;
import java.util.IdentityHashMap;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;

/** The block store on RocksDB, as a node opens it; a restart closes and reopens the database. */
class RocksBlockStoreTest extends BlockStoreContract {
  private static final long CACHE = 8L << 20;

  @TempDir Path dir;
  private final Map<KvStore, Path> paths = new IdentityHashMap<>();

  private KvStore openAt(Path at) {
    KvStore kv = new RocksStore(at, CACHE, false, BlockStore.COLUMNS);
    paths.put(kv, at);
    return kv;
  }

  @Override
  protected KvStore openKv() {
    return openAt(dir.resolve("blocks-" + paths.size()));
  }

  @Override
  protected KvStore reopenKv(KvStore kv) {
    kv.close();
    return openAt(paths.remove(kv));
  }
}
