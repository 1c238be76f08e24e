package io.ferry.blocks.exchange;

import com.google.protobuf.ByteString;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;

/**
 * Which block a want, presence or delivery is about: a block by its own CID ({@link ByCid}: a
 * manifest, or a whole tree in a want-have), or a leaf by its tree and index ({@link Leaf}).
 */
public sealed interface Address {

  /** A block by its own CID; for a tree's CID, the tree as a whole (its leaves' presence). */
  record ByCid(Cid cid) implements Address {}

  /** Leaf {@code index} of the tree {@code tree}. */
  record Leaf(Cid tree, int index) implements Address {
    public Leaf {
      if (tree.codec() != Multicodec.FERRY_TREE) {
        throw new FerryException(ErrorCode.INVALID_ENCODING, "a leaf of a " + tree.codec());
      }
      if (index < 0 || index >= Limits.MAX_DATASET_BLOCKS) {
        throw new FerryException(ErrorCode.INVALID_ENCODING, "leaf index " + index);
      }
    }
  }

  default io.ferry.wire.v1.BlockAddress toProto() {
    return switch (this) {
      case ByCid b ->
          io.ferry.wire.v1.BlockAddress.newBuilder()
              .setCid(ByteString.copyFrom(b.cid().toBytes()))
              .build();
      case Leaf l ->
          io.ferry.wire.v1.BlockAddress.newBuilder()
              .setCid(ByteString.copyFrom(l.tree().toBytes()))
              .setLeaf(true)
              .setIndex(l.index())
              .build();
    };
  }

  /**
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for a CID that does not parse, a leaf
   *     of something not a tree, or an index out of bounds
   */
  static Address fromProto(io.ferry.wire.v1.BlockAddress p) {
    Cid cid = Cid.fromBytes(p.getCid().toByteArray());
    if (p.getLeaf()) {
      return new Leaf(cid, p.getIndex());
    }
    if (p.getIndex() != 0) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "an index without a leaf");
    }
    return new ByCid(cid);
  }
}
