package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.Manifest;
import java.util.Optional;

/**
 * One dataset the store holds, for a status page or a listing: a manifest with what the store has
 * of its tree, or a tree whose manifest it lacks (a download that has stored leaves before it).
 * Immutable.
 *
 * @param tree the tree's CID
 * @param manifestCid the manifest's CID, if the store has a manifest of the tree
 * @param manifest that manifest
 * @param heldLeaves leaves of the tree the store holds
 * @param pinned whether the manifest is pinned (never evicted)
 * @param bytes bytes of the held leaves' blocks (a block shared with another tree is counted in
 *     both; a tree named by two manifests is listed, with its bytes, under each)
 */
public record StoredDataset(
    Cid tree,
    Optional<Cid> manifestCid,
    Optional<Manifest> manifest,
    int heldLeaves,
    boolean pinned,
    long bytes) {
  public StoredDataset {
    if (manifestCid.isPresent() != manifest.isPresent()) {
      throw new IllegalArgumentException("a manifest and its CID go together");
    }
  }

  /** Whether every leaf of the manifest's tree is here. */
  public boolean complete() {
    return manifest.map(m -> heldLeaves == m.blocks()).orElse(false);
  }
}
