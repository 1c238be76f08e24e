package io.ferry.merkledb.store;

import java.util.List;

/**
 * A key space of a store: a RocksDB column family of that name in {@link RocksStore}, a map of its
 * own in {@link MemoryStore}. A store on disk is opened with the columns it holds; each user of a
 * {@link KvStore} declares its own. The MerkleDB's are the five constants here ({@link #MERKLEDB});
 * the proof sync's staging store declares {@code staged} and {@code progress}.
 *
 * @param familyName the column family's name on disk; not {@code default}, which RocksDB keeps for
 *     itself
 * @param small whether the column holds only a few small records, rewritten often (a RocksDB store
 *     gives it a small write buffer, so the rewrites neither take memory nor keep old write-ahead
 *     logs alive)
 * @param blob whether the column holds large values written once (blocks of a dataset): a RocksDB
 *     store keeps them in blob files beside its tables, so compaction moves only their keys
 */
public record Column(String familyName, boolean small, boolean blob) {
  /** key bytes to value bytes: the state at the head revision. */
  public static final Column VALUES = new Column("values", false);

  /** path storage key to encoded node: the trie at the head revision. */
  public static final Column NODES = new Column("nodes", false);

  /** height and key to the value before and after that commit: the retained history. */
  public static final Column HISTORY = new Column("history", false);

  /**
   * epoch, node path storage key and height to the node's encoding before that commit (empty: no
   * node): the retained history of the trie's nodes.
   */
  public static final Column NODE_HISTORY = new Column("node_history", false);

  /** the head record and the roots of retained revisions. */
  public static final Column META = new Column("meta", false);

  /** The columns of a MerkleDB's store, in their order on disk. */
  public static final List<Column> MERKLEDB = List.of(VALUES, NODES, HISTORY, NODE_HISTORY, META);

  public Column {
    if (familyName.isEmpty() || familyName.equals("default")) {
      throw new IllegalArgumentException("not a column name: '" + familyName + "'");
    }
    if (small && blob) {
      throw new IllegalArgumentException("column '" + familyName + "' cannot be small and blob");
    }
  }

  /** A column of ordinary values ({@code small} as above, not {@code blob}). */
  public Column(String familyName, boolean small) {
    this(familyName, small, false);
  }

  /** A column of large values written once, kept out of compaction (see {@code blob}). */
  public static Column blob(String familyName) {
    return new Column(familyName, false, true);
  }

  @Override
  public String toString() {
    return familyName;
  }
}
