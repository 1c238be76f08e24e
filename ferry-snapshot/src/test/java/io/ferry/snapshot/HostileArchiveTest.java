package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import io.ferry.merkledb.Revision;
import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives from someone who lies: the work a restore does is bounded by the trusted root and the
 * manifest, and a failed restore leaves the target as it was.
 */
@Timeout(120)
class HostileArchiveTest {
  @TempDir Path tmp;

  private SnapshotArchive full;
  private SnapshotArchive inc;
  private Hash headRoot;
  private long fullHeight;
  private Path target;
  private final AtomicInteger chunksRead = new AtomicInteger();

  @BeforeEach
  void archives() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(11);
      MerkleTestSupport.fillRandom(db, r, 3_000, 1_000);
      SnapshotWriter w = new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(8 << 10));
      full = w.writeFull(db, tmp.resolve("arch"));
      fullHeight = db.height();
      for (int i = 0; i < 20; i++) { // an incremental spanning 20 heights
        MerkleTestSupport.churnRandom(db, r, 40);
      }
      inc = w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch"));
      headRoot = db.root();
    }
    target = tmp.resolve("data").resolve("state");
  }

  private SnapshotRestorer restorer() {
    return new SnapshotRestorer(MerkleTestSupport.diskConfig())
        .withChunkListener((archive, index, bytes) -> chunksRead.incrementAndGet());
  }

  private void assertNothingLeft() throws IOException {
    assertThat(target).doesNotExist();
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".restore-"));
    }
  }

  @Test
  void anArchiveClaimingAnotherRootThanTheTrustedOneIsRefusedBeforeAnyChunkIsRead()
      throws Exception {
    Hash trusted = Sha256Hasher.INSTANCE.hash(new byte[] {9});
    assertThatThrownBy(
            () -> restorer().restore(full.path(), Optional.empty(), target, Optional.of(trusted)))
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED))
        .hasMessageContaining("is not the trusted root");
    assertThatThrownBy(
            () ->
                restorer()
                    .restore(
                        full.path(),
                        Optional.of(inc.path()),
                        target,
                        Optional.of(full.manifest().root())))
        .hasMessageContaining("is not the trusted root");
    assertThat(chunksRead.get()).as("chunks read").isZero();
    assertNothingLeft();

    // The count is real: the trusted archive reads every chunk of both.
    restorer().restore(full.path(), Optional.of(inc.path()), target, Optional.of(headRoot));
    assertThat(chunksRead.get())
        .isEqualTo(full.manifest().chunks().size() + inc.manifest().chunks().size());
  }

  /** The full archive again, with {@code edit} applied to each entry before it is written. */
  private Path repack(String name, Consumer<TarArchiveEntry> edit, byte[] trailer)
      throws IOException {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZstdOutputStream z = new ZstdOutputStream(bytes, 3)) {
      OutputStream keepOpen =
          new FilterOutputStream(z) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
              out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
              flush();
            }
          };
      try (TarArchiveOutputStream tar = new TarArchiveOutputStream(keepOpen)) {
        for (Map.Entry<String, byte[]> e : entries.entrySet()) {
          TarArchiveEntry entry = ArchiveLayout.entry(e.getKey(), e.getValue().length);
          edit.accept(entry);
          tar.putArchiveEntry(entry);
          tar.write(e.getValue());
          tar.closeArchiveEntry();
        }
        tar.finish();
      }
      z.write(trailer); // still inside the zstd stream, after the tar's end
    }
    Path out = tmp.resolve(name);
    Files.write(out, bytes.toByteArray());
    return out;
  }

  @Test
  void aChunkThatDecompressesPastItsBoundIsRefused() throws Exception {
    // 32 MiB of filler in an extended header before the first chunk: compresses to a few KiB.
    String filler = "a".repeat(32 << 20);
    Path bomb =
        repack(
            "bomb.tar.zst",
            e -> {
              if (e.getName().equals(ArchiveLayout.chunkName(0))) {
                e.addPaxHeader("comment", filler);
              }
            },
            new byte[0]);
    assertThat(Files.size(bomb)).isLessThan(Files.size(full.path()) + (1 << 20));
    assertThatThrownBy(
            () ->
                restorer()
                    .restore(bomb, Optional.empty(), target, Optional.of(full.manifest().root())))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED))
        .hasMessageContaining("chunks/000000")
        .hasMessageContaining("decompresses to more than its manifest allows");
    assertThat(chunksRead.get()).isZero();
    assertNothingLeft();
  }

  @Test
  void fillerAfterTheEndIsRefusedWithoutDecompressingIt() throws Exception {
    Path bomb = repack("tail.tar.zst", e -> {}, new byte[64 << 20]);
    assertThat(Files.size(bomb)).isLessThan(Files.size(full.path()) + (1 << 20));
    assertThatThrownBy(
            () ->
                restorer()
                    .restore(bomb, Optional.empty(), target, Optional.of(full.manifest().root())))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED))
        .hasMessageContaining("the end of the archive");
    assertNothingLeft();
    // The same archive without the filler restores.
    Path clean = repack("clean.tar.zst", e -> {}, new byte[0]);
    assertThat(
            restorer()
                .restore(clean, Optional.empty(), target, Optional.of(full.manifest().root()))
                .root())
        .isEqualTo(full.manifest().root());
  }

  /** How many commits {@code inc}'s records take in batches of {@code batchBytes}. */
  private static int expectedBatches(Path inc, long batchBytes, long firstHeight, long top) {
    int batches = 1;
    long bytes = 0;
    long height = firstHeight;
    try (SnapshotReader r = SnapshotReader.open(inc)) {
      for (Iterator<KeyChange> it = r.records(); it.hasNext(); ) {
        int size = ChunkCodec.recordSize(it.next());
        if (bytes > 0 && bytes + size > batchBytes && height + 1 < top) {
          batches++;
          height++;
          bytes = 0;
        }
        bytes += size;
      }
    }
    return batches;
  }

  @Test
  void anIncrementalIsAppliedInBoundedBatches() throws Exception {
    long batchBytes = 4096;
    long payload = inc.manifest().payloadBytes();
    long span = inc.manifest().height() - fullHeight;
    assertThat(payload / span).as("bytes per height").isLessThan(batchBytes);
    RestoreResult r =
        restorer()
            .withIncrementalBatches(batchBytes, 1 << 20)
            .restore(full.path(), Optional.of(inc.path()), target, Optional.of(headRoot));

    assertThat(r.root()).isEqualTo(headRoot);
    assertThat(r.changes()).isEqualTo(inc.manifest().entries());
    int expected = expectedBatches(inc.path(), batchBytes, fullHeight, inc.manifest().height());
    assertThat(expected).isGreaterThan(3);
    assertThat(r.batches()).isEqualTo(expected);
    try (MerkleDB db = MerkleTestSupport.openDb(target)) {
      assertThat(db.root()).isEqualTo(headRoot);
      assertThat(db.height()).isEqualTo(inc.manifest().height());
      List<Long> heights = db.revisions().stream().map(Revision::height).toList();
      List<Long> want = new ArrayList<>();
      for (long h = fullHeight; h < fullHeight + expected; h++) {
        want.add(h);
      }
      want.add(inc.manifest().height());
      assertThat(heights).isEqualTo(want);
    }

    // With the default batch size it is one commit, as before.
    Path other = tmp.resolve("other").resolve("state");
    assertThat(
            new SnapshotRestorer(MerkleTestSupport.diskConfig())
                .restore(full.path(), Optional.of(inc.path()), other, Optional.of(headRoot))
                .batches())
        .isEqualTo(1);
  }

  @Test
  void anIncrementalTooLargeForItsHeightsIsRefusedBeforeAnyChunkIsRead() {
    assertThatThrownBy(
            () ->
                restorer()
                    .withIncrementalBatches(16, 64)
                    .restore(full.path(), Optional.of(inc.path()), target, Optional.of(headRoot)))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.LIMIT_EXCEEDED))
        .hasMessageContaining("heights");
    assertThat(chunksRead.get()).isZero();
  }

  @Test
  void aForgedIncrementalFailsAfterItsBatchesAndLeavesTheTargetAsItWas() throws Exception {
    // The last chunk with one value changed, its hash and the manifest made to match: only the
    // root after the last batch can tell.
    Map<String, byte[]> entries = TestArchives.entries(inc.path());
    Manifest m = inc.manifest();
    int last = m.chunks().size() - 1;
    String lastName = ArchiveLayout.chunkName(last);
    byte[] chunk = entries.get(lastName);
    List<KeyChange> records = new ArrayList<>();
    ChunkCodec.Decoder d = new ChunkCodec.Decoder(chunk, chunk.length, "test");
    while (d.hasNext()) {
      records.add(d.next());
    }
    for (int i = records.size() - 1; i >= 0; i--) {
      KeyChange c = records.get(i);
      if (c.value().isPresent() && c.value().get().length() > 0) {
        byte[] v = c.value().get().toByteArray();
        v[0] ^= 1;
        records.set(i, KeyChange.put(c.key(), Bytes.wrap(v)));
        break;
      }
    }
    byte[] forgedChunk = new byte[chunk.length];
    int pos = 0;
    for (KeyChange c : records) {
      pos = ChunkCodec.write(c, forgedChunk, pos);
    }
    assertThat(pos).isEqualTo(chunk.length);
    List<Manifest.ChunkInfo> chunks = new ArrayList<>(m.chunks());
    Manifest.ChunkInfo info = chunks.get(last);
    chunks.set(
        last,
        new Manifest.ChunkInfo(
            info.size(),
            Sha256Hasher.INSTANCE.hash(forgedChunk),
            info.entries(),
            info.frameSize()));
    Manifest forged =
        new Manifest(
            m.format(),
            m.kind(),
            m.height(),
            m.root(),
            m.branchFactor(),
            m.entries(),
            m.chunkSizeLimit(),
            m.base(),
            chunks);
    Map<String, byte[]> edited = new LinkedHashMap<>(entries);
    edited.put(ArchiveLayout.MANIFEST, forged.encode());
    edited.put(lastName, forgedChunk);
    Path bad = tmp.resolve("forged.tar.zst");
    TestArchives.repack(edited, bad, (name, data) -> data);
    Files.createDirectories(target); // an empty target directory stays as it is

    assertThatThrownBy(
            () ->
                restorer()
                    .withIncrementalBatches(4096, 1 << 20)
                    .restore(full.path(), Optional.of(bad), target, Optional.of(headRoot)))
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.VERIFICATION_FAILED))
        .hasMessageContaining("forged.tar.zst")
        .hasMessageContaining("is not the manifest's");
    assertThat(chunksRead.get())
        .as("every chunk was read and batches committed before the root could fail")
        .isEqualTo(full.manifest().chunks().size() + m.chunks().size());
    assertThat(target).isEmptyDirectory();
    try (Stream<Path> s = Files.list(target.getParent())) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".restore-"));
    }
  }
}
