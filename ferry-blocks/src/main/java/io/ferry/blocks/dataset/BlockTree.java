package io.ferry.blocks.dataset;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The Merkle tree over a dataset's blocks. The leaves are the blocks' SHA-256 digests (the digests
 * of their raw CIDs); a parent is {@code SHA-256(0x01 ‖ left ‖ right)}; a level of odd length lifts
 * its last node unchanged to the next (never pairing it with itself, so no two leaf lists share a
 * root); and the root is {@code SHA-256(0x02 ‖ leaves as 8 bytes big-endian ‖ top)}, so a tree's
 * CID commits to how many blocks it has and a proof cannot claim another shape.
 *
 * <p>Immutable and thread-safe. Holds every level: 64 bytes per leaf.
 */
public final class BlockTree {
  static final byte PARENT = 0x01;
  static final byte ROOT = 0x02;

  private final List<Hash[]> levels;
  private final Hash root;

  private BlockTree(List<Hash[]> levels, Hash root) {
    this.levels = levels;
    this.root = root;
  }

  /**
   * The tree over {@code leaves}, the blocks' digests in order.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ARGUMENT} for no leaves or more than {@link
   *     Limits#MAX_DATASET_BLOCKS}
   */
  public static BlockTree of(List<Hash> leaves) {
    if (leaves.isEmpty() || leaves.size() > Limits.MAX_DATASET_BLOCKS) {
      throw new FerryException(
          ErrorCode.INVALID_ARGUMENT,
          "a tree has 1 to " + Limits.MAX_DATASET_BLOCKS + " leaves, not " + leaves.size());
    }
    List<Hash[]> levels = new ArrayList<>();
    Hash[] level = leaves.toArray(new Hash[0]);
    levels.add(level);
    MessageDigest sha = Sha256Hasher.newDigest();
    while (level.length > 1) {
      Hash[] up = new Hash[(level.length + 1) / 2];
      for (int i = 0; i < level.length / 2; i++) {
        up[i] = parent(sha, level[2 * i], level[2 * i + 1]);
      }
      if (level.length % 2 == 1) {
        up[up.length - 1] = level[level.length - 1];
      }
      levels.add(up);
      level = up;
    }
    return new BlockTree(levels, root(sha, leaves.size(), level[0]));
  }

  /** A parent node: {@code SHA-256(0x01 ‖ left ‖ right)}. */
  public static Hash parent(MessageDigest sha, Hash left, Hash right) {
    sha.update(PARENT);
    sha.update(left.toBytes());
    sha.update(right.toBytes());
    return Hash.wrap(sha.digest());
  }

  static Hash root(MessageDigest sha, long leaves, Hash top) {
    sha.update(ROOT);
    for (int shift = 56; shift >= 0; shift -= 8) {
      sha.update((byte) (leaves >>> shift));
    }
    sha.update(top.toBytes());
    return Hash.wrap(sha.digest());
  }

  public int leaves() {
    return levels.get(0).length;
  }

  public Hash leaf(int index) {
    return levels.get(0)[index];
  }

  /** The root hash, which {@link #cid()} names. */
  public Hash root() {
    return root;
  }

  public Cid cid() {
    return Cid.of(Multicodec.FERRY_TREE, root);
  }

  /** The proof of leaf {@code index}: its sibling at each level where it has one. */
  public BlockProof proof(int index) {
    if (index < 0 || index >= leaves()) {
      throw new IndexOutOfBoundsException("leaf " + index + " of " + leaves());
    }
    List<Hash> siblings = new ArrayList<>();
    int i = index;
    for (int l = 0; l < levels.size() - 1; l++) {
      Hash[] level = levels.get(l);
      int sibling = i ^ 1;
      if (sibling < level.length) {
        siblings.add(level[sibling]);
      }
      i >>= 1;
    }
    return new BlockProof(index, leaves(), siblings);
  }
}
