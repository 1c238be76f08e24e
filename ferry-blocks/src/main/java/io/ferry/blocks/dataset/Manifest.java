package io.ferry.blocks.dataset;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import java.util.Arrays;
import java.util.Optional;

/**
 * What names a dataset: its tree's CID, its size, its block size, a file name and mime type, and,
 * when it is erasure coded, its {@link Protection}. The manifest is itself a block: its CID ({@link
 * #cid()}) is the SHA-256 of its encoding, and decoding accepts only the encoding this class
 * writes, so one manifest has one CID.
 *
 * <p>Immutable and thread-safe.
 *
 * @param size bytes the tree covers (for a protected dataset, every block full, parity included)
 */
public record Manifest(
    Cid tree,
    long size,
    int blockSize,
    String filename,
    String mimetype,
    Optional<Protection> protection) {

  /** Codex's default block size. */
  public static final int DEFAULT_BLOCK_SIZE = 64 * 1024;

  public Manifest {
    if (tree.codec() != Multicodec.FERRY_TREE) {
      throw invalid("a manifest's tree CID names a " + tree.codec());
    }
    if (blockSize < 1 || blockSize > Limits.MAX_BLOCK_BYTES) {
      throw invalid("a block size of " + blockSize + " is not 1 to " + Limits.MAX_BLOCK_BYTES);
    }
    if (size < 1 || (size + blockSize - 1) / blockSize > Limits.MAX_DATASET_BLOCKS) {
      throw invalid(
          "a dataset of " + size + " bytes in blocks of " + blockSize + " is out of bounds");
    }
    checkText("file name", filename);
    checkText("mime type", mimetype);
    if (protection.isPresent()) {
      Protection p = protection.get();
      p.check(blockSize);
      if (p.originalTree().codec() != Multicodec.FERRY_TREE) {
        throw invalid("a manifest's original tree CID names a " + p.originalTree().codec());
      }
      if (size != p.blocks(blockSize) * blockSize) {
        throw invalid(
            "a protected dataset of "
                + p.originalSize()
                + " bytes with "
                + p.k()
                + "+"
                + p.m()
                + " is "
                + p.blocks(blockSize) * blockSize
                + " bytes, not "
                + size);
      }
    }
  }

  private static void checkText(String what, String text) {
    if (text.length() > Limits.MAX_MANIFEST_TEXT_CHARS) {
      throw invalid("a " + what + " of " + text.length() + " characters");
    }
    for (int i = 0; i < text.length(); i++) {
      if (Character.isISOControl(text.charAt(i))) {
        throw invalid("a " + what + " with a control character");
      }
    }
  }

  /** Blocks under the tree. */
  public int blocks() {
    return (int) ((size + blockSize - 1) / blockSize);
  }

  /** Bytes of block {@code index}: the block size, less for the last block of a plain dataset. */
  public int blockLength(int index) {
    long start = (long) index * blockSize;
    return (int) Math.min(blockSize, size - start);
  }

  /** Bytes a reader of the dataset gets: the original's for a protected one. */
  public long contentSize() {
    return protection.map(Protection::originalSize).orElse(size);
  }

  /** Blocks holding the content a reader gets (the data blocks before padding). */
  public int contentBlocks() {
    return (int) ((contentSize() + blockSize - 1) / blockSize);
  }

  public boolean isProtected() {
    return protection.isPresent();
  }

  public byte[] encode() {
    io.ferry.wire.v1.Manifest.Builder b =
        io.ferry.wire.v1.Manifest.newBuilder()
            .setTreeCid(ByteString.copyFrom(tree.toBytes()))
            .setDatasetSize(size)
            .setBlockSize(blockSize)
            .setFilename(filename)
            .setMimetype(mimetype);
    protection.ifPresent(
        p ->
            b.setEcK(p.k())
                .setEcM(p.m())
                .setOriginalTreeCid(ByteString.copyFrom(p.originalTree().toBytes()))
                .setOriginalSize(p.originalSize()));
    return b.build().toByteArray();
  }

  /** The manifest's own CID: what names the dataset. */
  public Cid cid() {
    return Cid.hash(Multicodec.FERRY_MANIFEST, encode());
  }

  /**
   * Decodes a manifest block.
   *
   * @throws FerryException {@link ErrorCode#INVALID_ENCODING} for more than {@link
   *     Limits#MAX_MANIFEST_BYTES} ({@link ErrorCode#LIMIT_EXCEEDED}), bytes that do not parse or
   *     are not the canonical encoding, or fields out of bounds
   */
  public static Manifest decode(byte[] bytes) {
    if (bytes.length > Limits.MAX_MANIFEST_BYTES) {
      throw invalid(
          "a manifest of " + bytes.length + " bytes is over " + Limits.MAX_MANIFEST_BYTES);
    }
    io.ferry.wire.v1.Manifest p;
    try {
      p = io.ferry.wire.v1.Manifest.parseFrom(bytes);
    } catch (InvalidProtocolBufferException e) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a manifest does not parse", e);
    }
    boolean isProtected = p.getEcK() != 0 || p.getEcM() != 0;
    if (p.getBlockSize() < 0 || p.getEcK() < 0 || p.getEcM() < 0) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a manifest field is out of bounds");
    }
    Manifest m;
    try {
      m =
          new Manifest(
              Cid.fromBytes(p.getTreeCid().toByteArray()),
              p.getDatasetSize(),
              p.getBlockSize(),
              p.getFilename(),
              p.getMimetype(),
              isProtected
                  ? Optional.of(
                      new Protection(
                          p.getEcK(),
                          p.getEcM(),
                          Cid.fromBytes(p.getOriginalTreeCid().toByteArray()),
                          p.getOriginalSize()))
                  : Optional.empty());
    } catch (FerryException e) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a manifest: " + e.getMessage(), e);
    }
    if (!Arrays.equals(m.encode(), bytes)) {
      throw new FerryException(ErrorCode.INVALID_ENCODING, "a manifest is not canonically encoded");
    }
    return m;
  }

  private static FerryException invalid(String why) {
    return new FerryException(ErrorCode.INVALID_ARGUMENT, why);
  }
}
