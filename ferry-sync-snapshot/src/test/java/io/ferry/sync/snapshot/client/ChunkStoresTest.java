package io.ferry.sync.snapshot.client;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.sync.snapshot.app.Snapshot;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The chunk stores keep what a sync fetched for the snapshot it restores, and only for it, across a
 * restart: in a directory on disk, or in memory for the simulator.
 */
class ChunkStoresTest {
  private static final Snapshot A = snapshot(100, 1);
  private static final Snapshot B = snapshot(200, 2);
  private static final NodeId ALICE = peer(1);
  private static final NodeId BOB = peer(2);

  @TempDir Path dir;

  @Test
  void aDirectoryStoreKeepsChunksAndSendersAcrossInstances() {
    DirectoryChunkStore store = new DirectoryChunkStore(dir);
    assertThat(store.open(A)).isEmpty();
    store.put(0, bytes(1, 2, 3), ALICE);
    store.put(3, Bytes.EMPTY, BOB);
    store.put(10, bytes(9), BOB);
    store.put(10, bytes(8), ALICE); // again, from someone else: replaces it
    store.discard(3);

    DirectoryChunkStore again = new DirectoryChunkStore(dir);
    assertThat(again.open(A)).isEqualTo(Map.of(0, ALICE, 10, ALICE));
    assertThat(again.get(0)).contains(new ChunkStore.Held(bytes(1, 2, 3), ALICE));
    assertThat(again.get(10)).contains(new ChunkStore.Held(bytes(8), ALICE));
    assertThat(again.get(3)).isEmpty();
  }

  @Test
  void anEmptyChunkIsStoredAndReadBack() {
    DirectoryChunkStore store = new DirectoryChunkStore(dir);
    store.open(A);
    store.put(1, Bytes.EMPTY, BOB);
    assertThat(store.get(1)).contains(new ChunkStore.Held(Bytes.EMPTY, BOB));
  }

  @Test
  void openingAnotherSnapshotDropsTheFirstsChunks() throws IOException {
    DirectoryChunkStore store = new DirectoryChunkStore(dir);
    store.open(A);
    store.put(0, bytes(1), ALICE);

    assertThat(new DirectoryChunkStore(dir).open(B)).isEmpty();
    assertThat(new DirectoryChunkStore(dir).open(A)).isEmpty();
    try (Stream<Path> all = Files.list(dir)) {
      assertThat(all.toList()).hasSize(1);
    }
  }

  @Test
  void leftoversAndStrangersAreRemovedAndTornChunksReadAsAbsent() throws IOException {
    DirectoryChunkStore store = new DirectoryChunkStore(dir);
    store.open(A);
    store.put(0, bytes(1, 2, 3, 4, 5), ALICE);
    store.put(1, bytes(6, 7), BOB);
    Path snapshotDir;
    try (Stream<Path> all = Files.list(dir)) {
      snapshotDir = all.findFirst().orElseThrow();
    }
    Files.write(snapshotDir.resolve("2.tmp"), new byte[] {1}); // a put cut short
    Files.write(snapshotDir.resolve("junk"), new byte[] {1});
    Files.write(snapshotDir.resolve("999-00.chunk"), new byte[] {1}); // beyond the last chunk
    Path first;
    try (Stream<Path> all = Files.list(snapshotDir)) {
      first =
          all.filter(p -> p.getFileName().toString().startsWith("0-")).findFirst().orElseThrow();
    }
    Files.write(first, new byte[] {1, 2, 3}); // torn: shorter than written

    DirectoryChunkStore again = new DirectoryChunkStore(dir);
    assertThat(again.open(A)).containsOnlyKeys(0, 1);
    assertThat(again.get(0)).as("torn").isEmpty();
    assertThat(again.get(1)).contains(new ChunkStore.Held(bytes(6, 7), BOB));
    try (Stream<Path> all = Files.list(snapshotDir)) {
      assertThat(all.map(p -> p.getFileName().toString()).toList())
          .hasSize(1)
          .allMatch(n -> n.startsWith("1-"));
    }
  }

  @Test
  void clearDeletesTheSnapshotsChunks() throws IOException {
    DirectoryChunkStore store = new DirectoryChunkStore(dir);
    store.open(A);
    store.put(0, bytes(1), ALICE);
    store.clear();
    try (Stream<Path> all = Files.list(dir)) {
      assertThat(all.toList()).isEmpty();
    }
    assertThat(store.get(0)).isEmpty();
  }

  @Test
  void aMemoryStoreKeepsItsChunksAcrossCloseForTheSameSnapshotOnly() {
    MemoryChunkStore store = new MemoryChunkStore();
    store.open(A);
    store.put(0, bytes(1), ALICE);
    store.put(1, bytes(2), BOB);
    store.close();

    assertThat(store.open(A)).isEqualTo(Map.of(0, ALICE, 1, BOB));
    assertThat(store.open(B)).isEmpty();
    assertThat(store.size()).isZero();
    store.put(0, bytes(3), BOB);
    store.clear();
    assertThat(store.open(B)).isEmpty();
  }

  private static Snapshot snapshot(long height, int tag) {
    byte[] hash = new byte[32];
    hash[0] = (byte) tag;
    return new Snapshot(height, 1, 40, Bytes.wrap(hash), Bytes.EMPTY);
  }

  private static Bytes bytes(int... values) {
    byte[] b = new byte[values.length];
    for (int i = 0; i < values.length; i++) {
      b[i] = (byte) values[i];
    }
    return Bytes.wrap(b);
  }

  private static NodeId peer(int n) {
    byte[] key = new byte[NodeId.LENGTH];
    key[0] = (byte) n;
    return NodeId.of(key);
  }
}
