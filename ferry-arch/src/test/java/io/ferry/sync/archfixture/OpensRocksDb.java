package io.ferry.sync.archfixture;

import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;

/** A RocksDB wrapper of its own, beside the one store that may open RocksDB. */
public class OpensRocksDb {
  public RocksDB open(String dir) throws RocksDBException {
    try (Options options = new Options().setCreateIfMissing(true)) {
      return RocksDB.open(options, dir);
    }
  }
}
