package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import java.util.Optional;

/** STUB until the store branch lands: one dataset the store holds. */
public record StoredDataset(
    Cid tree,
    Optional<Cid> manifestCid,
    Optional<Manifest> manifest,
    int heldLeaves,
    boolean pinned,
    long bytes) {
  public boolean complete() {
    return manifest.map(m -> heldLeaves == m.blocks()).orElse(false);
  }
}
