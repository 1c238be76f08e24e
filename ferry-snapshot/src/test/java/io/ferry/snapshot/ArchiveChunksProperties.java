package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;

import io.ferry.core.Bytes;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

class ArchiveChunksProperties {
  /**
   * For any key-values and chunk size, every chunk read from its own frame passes its checks, holds
   * the records its manifest says, and the chunks' payloads end to end are the store's records in
   * key order, encoded.
   */
  @Property(tries = 60)
  void everyChunkRoundTripsAndTheChunksAreTheRecordStream(
      @ForAll("keyValues") Map<Bytes, Bytes> kvs,
      @ForAll @IntRange(min = SnapshotConfig.MIN_CHUNK_SIZE, max = 6 << 10) int chunkSize)
      throws IOException {
    Path dir = Files.createTempDirectory("ferry-chunk-props");
    try (MerkleDB db = MerkleTestSupport.memoryDb(BranchFactor.BF16, 4)) {
      Batch b = new Batch();
      kvs.forEach(b::put);
      db.commit(b);
      SnapshotArchive a =
          new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(chunkSize)).writeFull(db, dir);

      ByteArrayOutputStream want = new ByteArrayOutputStream();
      for (Map.Entry<Bytes, Bytes> e : new TreeMap<>(kvs).entrySet()) {
        KeyChange c = KeyChange.put(e.getKey(), e.getValue());
        byte[] record = new byte[ChunkCodec.recordSize(c)];
        ChunkCodec.write(c, record, 0);
        want.writeBytes(record);
      }
      ByteArrayOutputStream got = new ByteArrayOutputStream();
      List<KeyChange> records = new ArrayList<>();
      try (ArchiveChunks chunks = ArchiveChunks.open(a.path())) {
        assertThat(chunks.chunkCount()).isEqualTo(a.manifest().chunks().size());
        for (int i = 0; i < chunks.chunkCount(); i++) {
          Manifest.ChunkInfo info = a.manifest().chunks().get(i);
          byte[] payload = ChunkFrames.payload(a.manifest(), i, chunks.frame(i));
          assertThat(payload.length).isEqualTo(info.size()).isLessThanOrEqualTo(chunkSize);
          List<KeyChange> inChunk = ArchiveChunksTest.decode(payload);
          assertThat((long) inChunk.size()).isEqualTo(info.entries());
          records.addAll(inChunk);
          got.writeBytes(payload);
        }
      }
      assertThat(got.toByteArray()).isEqualTo(want.toByteArray());
      assertThat(records).hasSize(kvs.size());
      assertThat(a.manifest().entries()).isEqualTo(kvs.size());
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }
  }

  @Provide
  Arbitrary<Map<Bytes, Bytes>> keyValues() {
    Arbitrary<Bytes> keys =
        Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(40).map(Bytes::of);
    Arbitrary<Bytes> values =
        Arbitraries.bytes().array(byte[].class).ofMinSize(0).ofMaxSize(600).map(Bytes::of);
    return Arbitraries.maps(keys, values).ofMaxSize(300);
  }
}
