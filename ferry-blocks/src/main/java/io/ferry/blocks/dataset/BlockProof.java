package io.ferry.blocks.dataset;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;

/**
 * The place of one block under a {@link BlockTree}'s root: its index, the tree's leaf count and the
 * sibling hashes from the leaf up (levels where the node is lifted unpaired have none).
 *
 * <p>Immutable and thread-safe.
 */
public record BlockProof(int index, int leaves, List<Hash> siblings) {
  public BlockProof {
    siblings = List.copyOf(siblings);
  }

  /**
   * Whether a block with SHA-256 {@code leaf} is leaf {@link #index} of the tree with {@code root}.
   */
  public boolean verifies(Hash leaf, Hash root) {
    if (leaves < 1 || leaves > Limits.MAX_DATASET_BLOCKS || index < 0 || index >= leaves) {
      return false;
    }
    MessageDigest sha = Sha256Hasher.threadDigest();
    Hash node = leaf;
    int i = index;
    int width = leaves;
    int used = 0;
    while (width > 1) {
      int sibling = i ^ 1;
      if (sibling < width) {
        if (used == siblings.size()) {
          return false;
        }
        Hash s = siblings.get(used++);
        node = (i & 1) == 0 ? BlockTree.parent(sha, node, s) : BlockTree.parent(sha, s, node);
      }
      i >>= 1;
      width = (width + 1) / 2;
    }
    return used == siblings.size() && BlockTree.root(sha, leaves, node).equals(root);
  }

  public io.ferry.wire.v1.BlockProof toProto() {
    io.ferry.wire.v1.BlockProof.Builder b =
        io.ferry.wire.v1.BlockProof.newBuilder().setIndex(index).setLeaves(leaves);
    for (Hash h : siblings) {
      b.addSiblings(com.google.protobuf.UnsafeByteOperations.unsafeWrap(h.toBytes()));
    }
    return b.build();
  }

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for more than {@link
   *     Limits#MAX_BLOCK_PROOF_DEPTH} siblings or one that is not 32 bytes
   */
  public static BlockProof fromProto(io.ferry.wire.v1.BlockProof p) {
    if (p.getSiblingsCount() > Limits.MAX_BLOCK_PROOF_DEPTH) {
      throw new FerryException(
          ErrorCode.INVALID_ENCODING, "a block proof of " + p.getSiblingsCount() + " siblings");
    }
    if (p.getIndex() < 0 || p.getLeaves() < 0) { // uint32 over 2^31
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a block proof's index is too large");
    }
    List<Hash> siblings = new ArrayList<>(p.getSiblingsCount());
    for (com.google.protobuf.ByteString s : p.getSiblingsList()) {
      siblings.add(Hash.of(s.toByteArray()));
    }
    return new BlockProof(p.getIndex(), p.getLeaves(), siblings);
  }
}
