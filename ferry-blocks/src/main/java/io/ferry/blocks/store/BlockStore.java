package io.ferry.blocks.store;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.dataset.Manifest;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;

/** STUB until the store branch lands. */
public final class BlockStore {
  public record Leaf(byte[] data, BlockProof proof) {}

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
}
