package io.ferry.merkledb.store;

/** The key spaces of a MerkleDB store (RocksDB column families). */
public enum Column {
  /** key bytes to value bytes: the state at the head revision. */
  VALUES("values"),
  /** path storage key to encoded node: the trie at the head revision. */
  NODES("nodes"),
  /** height and key to the value before and after that commit: the retained history. */
  HISTORY("history"),
  /** the head record and the roots of retained revisions. */
  META("meta");

  private final String familyName;

  Column(String familyName) {
    this.familyName = familyName;
  }

  public String familyName() {
    return familyName;
  }
}
