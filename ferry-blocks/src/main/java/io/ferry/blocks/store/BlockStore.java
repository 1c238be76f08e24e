package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/** STUB until the store branch lands. */
public final class BlockStore {
  public record Leaf(byte[] data, BlockProof proof) {}

  public static final Column BLOCKS = new Column("blocks", false);

  /** The real store's columns; the stub declares them so a node can open its store's files. */
  public static final List<Column> COLUMNS =
      List.of(
          BLOCKS,
          new Column("block-refs", false),
          new Column("leaves", false),
          new Column("manifests", false),
          new Column("datasets", true),
          new Column("pins", true),
          new Column("staged-blocks", false));

  public BlockStore(KvStore kv, long quotaBytes) {
    this(kv, quotaBytes, cid -> {});
  }

  private final long quotaBytes;

  public BlockStore(KvStore kv, long quotaBytes, Consumer<Cid> onRemoved) {
    this.quotaBytes = quotaBytes;
  }

  public Optional<Manifest> manifest(Cid c) {
    throw new UnsupportedOperationException();
  }

  public void putManifest(Manifest m) {
    throw new UnsupportedOperationException();
  }

  public List<Cid> manifests() {
    throw new UnsupportedOperationException();
  }

  public Optional<byte[]> block(Cid c) {
    throw new UnsupportedOperationException();
  }

  public boolean hasLeaf(Cid tree, int index) {
    throw new UnsupportedOperationException();
  }

  public Optional<Leaf> leaf(Cid tree, int index) {
    throw new UnsupportedOperationException();
  }

  public void putLeaf(Cid tree, int index, byte[] data, BlockProof proof) {
    throw new UnsupportedOperationException();
  }

  public BitSet held(Cid tree) {
    throw new UnsupportedOperationException();
  }

  public int heldCount(Cid tree) {
    throw new UnsupportedOperationException();
  }

  public AutoCloseable hold(Cid tree) {
    throw new UnsupportedOperationException();
  }

  public Manifest importStream(
      java.io.InputStream in, int blockSize, String filename, String mimetype) {
    throw new UnsupportedOperationException();
  }

  public void pin(Cid manifest) {
    throw new UnsupportedOperationException();
  }

  public void unpin(Cid manifest) {
    throw new UnsupportedOperationException();
  }

  public boolean isPinned(Cid manifest) {
    throw new UnsupportedOperationException();
  }

  public long usedBytes() {
    return 0;
  }

  public long quotaBytes() {
    return quotaBytes;
  }

  public List<StoredDataset> datasets() {
    return List.of();
  }
}
