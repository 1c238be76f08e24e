package io.ferry.snapshot;

/** Whether an archive holds the whole state or the changes since a full archive. */
public enum SnapshotKind {
  /** Every key-value of the state at the archive's height. */
  FULL,
  /** The puts and deletes between a full archive's height and this archive's height. */
  INCREMENTAL
}
