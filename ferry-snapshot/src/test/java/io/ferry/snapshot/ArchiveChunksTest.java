package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdInputStream;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Limits;
import io.ferry.core.Sha256Hasher;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.BranchFactor;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Archives of format 2: one zstd frame per chunk, each read and checked by itself, and archives
 * assembled from those frames equal to the original.
 */
@Timeout(120)
class ArchiveChunksTest {
  private static final SnapshotConfig SMALL_CHUNKS =
      SnapshotConfig.defaults().withChunkSize(4 << 10);

  @TempDir Path tmp;

  private MerkleDB db;
  private SnapshotArchive full;
  private SnapshotArchive inc;

  @BeforeEach
  void archives() {
    db = MerkleTestSupport.memoryDb(BranchFactor.BF16, 100);
    Random r = new Random(5);
    MerkleTestSupport.fillRandom(db, r, 2_000, 500);
    SnapshotWriter w = new SnapshotWriter(SMALL_CHUNKS);
    full = w.writeFull(db, tmp.resolve("arch"));
    for (int i = 0; i < 3; i++) {
      MerkleTestSupport.churnRandom(db, r, 200);
    }
    inc = w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch"));
  }

  @AfterEach
  void close() {
    db.close();
  }

  /** Every record of an archive, in order, as the streaming reader gives them. */
  private static List<KeyChange> records(Path archive) {
    List<KeyChange> out = new ArrayList<>();
    try (SnapshotReader r = SnapshotReader.open(archive)) {
      r.records().forEachRemaining(out::add);
    }
    return out;
  }

  static List<KeyChange> decode(byte[] payload) {
    List<KeyChange> out = new ArrayList<>();
    ChunkCodec.Decoder d = new ChunkCodec.Decoder(payload, payload.length, "test");
    while (d.hasNext()) {
      out.add(d.next());
    }
    return out;
  }

  private static ErrorCode codeOf(Runnable call) {
    try {
      call.run();
    } catch (FerryException e) {
      return e.code();
    }
    throw new AssertionError("no FerryException");
  }

  @Test
  void eachChunkDecodesOnItsOwnFromItsFrame() {
    for (SnapshotArchive a : List.of(full, inc)) {
      assertThat(a.manifest().format()).isEqualTo(Manifest.FORMAT_FRAME_PER_CHUNK);
      assertThat(a.manifest().chunks()).hasSizeGreaterThan(5);
      try (ArchiveChunks chunks = ArchiveChunks.open(a.path())) {
        assertThat(chunks.manifest()).isEqualTo(a.manifest());
        assertThat(Sha256Hasher.INSTANCE.hash(chunks.manifestBytes())).isEqualTo(a.name().hash());
        assertThat(chunks.snapshotHash()).isEqualTo(a.name().hash());
        assertThat(chunks.chunkCount()).isEqualTo(a.manifest().chunks().size());
        List<KeyChange> all = new ArrayList<>();
        for (int i = 0; i < chunks.chunkCount(); i++) {
          Manifest.ChunkInfo info = a.manifest().chunks().get(i);
          byte[] frame = chunks.frame(i);
          assertThat(frame).hasSize(info.frameSize());
          byte[] payload = ChunkFrames.payload(a.manifest(), i, frame);
          assertThat(payload).hasSize(info.size());
          assertThat(chunks.chunk(i)).isEqualTo(payload);
          List<KeyChange> records = decode(payload);
          assertThat((long) records.size()).isEqualTo(info.entries());
          all.addAll(records);
        }
        assertThat(all).isEqualTo(records(a.path()));
      }
    }
    // The incremental holds deletes too, so both kinds of record went through.
    assertThat(records(inc.path())).anyMatch(KeyChange::isDelete);
  }

  @Test
  void framesReadOutOfOrderAndFromManyThreadsAreTheSame() throws Exception {
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      List<byte[]> inOrder = new ArrayList<>();
      for (int i = 0; i < chunks.chunkCount(); i++) {
        inOrder.add(chunks.frame(i));
      }
      List<Integer> order = new ArrayList<>();
      for (int i = 0; i < chunks.chunkCount(); i++) {
        order.add(i);
        order.add(i); // each twice
      }
      Collections.shuffle(order, new Random(3));
      for (int i : order) {
        assertThat(chunks.frame(i)).isEqualTo(inOrder.get(i));
      }
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<byte[]>> reads = new ArrayList<>();
        for (int i : order) {
          reads.add(pool.submit(() -> chunks.chunk(i)));
        }
        for (int k = 0; k < order.size(); k++) {
          int i = order.get(k);
          assertThat(reads.get(k).get())
              .isEqualTo(ChunkFrames.payload(full.manifest(), i, inOrder.get(i)));
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @Test
  void theFileIsTheManifestFrameThenTheChunkFrames() throws Exception {
    byte[] file = Files.readAllBytes(full.path());
    Manifest m = full.manifest();
    long start = file.length - m.frameBytes();
    assertThat(Zstd.findFrameCompressedSize(file)).isEqualTo(start);
    long at = start;
    for (Manifest.ChunkInfo c : m.chunks()) {
      byte[] rest = Arrays.copyOfRange(file, (int) at, file.length);
      assertThat(Zstd.findFrameCompressedSize(rest)).isEqualTo(c.frameSize());
      at += c.frameSize();
    }
    assertThat(at).isEqualTo(file.length);

    // Still one .tar.zst: zstd reads the frames as one stream, tar its entries, and the tar's end
    // comes last (two zero blocks, nothing after them).
    List<String> names = new ArrayList<>();
    try (InputStream in = new ZstdInputStream(Files.newInputStream(full.path()));
        TarArchiveInputStream tar = new TarArchiveInputStream(in)) {
      TarArchiveEntry e;
      while ((e = tar.getNextEntry()) != null) {
        names.add(e.getName());
      }
    }
    List<String> want = new ArrayList<>(List.of(ArchiveLayout.MANIFEST));
    for (int i = 0; i < m.chunks().size(); i++) {
      want.add(ArchiveLayout.chunkName(i));
    }
    assertThat(names).isEqualTo(want);
    byte[] plain;
    try (InputStream in = new ZstdInputStream(Files.newInputStream(full.path()))) {
      plain = in.readAllBytes();
    }
    assertThat(plain.length % ArchiveLayout.BLOCK).isZero();
    assertThat(Arrays.copyOfRange(plain, plain.length - ArchiveLayout.END, plain.length))
        .containsOnly(0);
  }

  @Test
  void theArchiveListsWithTheZstdAndTarPrograms() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(
        onPath("zstd") && onPath("tar"), "zstd and tar are not on PATH");
    Process p =
        new ProcessBuilder("sh", "-c", "zstd -dc \"$0\" | tar t", full.path().toString())
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    List<String> want = new ArrayList<>(List.of(ArchiveLayout.MANIFEST));
    for (int i = 0; i < full.manifest().chunks().size(); i++) {
      want.add(ArchiveLayout.chunkName(i));
    }
    assertThat(out.lines().toList()).as("tar t, warnings included").isEqualTo(want);
  }

  private static boolean onPath(String program) {
    String path = System.getenv("PATH");
    return path != null
        && Arrays.stream(path.split(java.io.File.pathSeparator))
            .anyMatch(d -> Files.isExecutable(Path.of(d, program)));
  }

  @Test
  void writesAreDeterministic() throws Exception {
    SnapshotWriter w = new SnapshotWriter(SMALL_CHUNKS);
    SnapshotArchive again = w.writeFull(db, tmp.resolve("again"));
    SnapshotArchive third = w.writeFull(db, tmp.resolve("third"));
    assertThat(again.name()).isEqualTo(third.name());
    assertThat(Files.readAllBytes(again.path())).isEqualTo(Files.readAllBytes(third.path()));
  }

  @Test
  void framesAlreadyVerifiedAssembleTheSameArchiveAndAFrameOfTheWrongSizeIsRefused()
      throws Exception {
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      SnapshotArchive trusted =
          ArchiveAssembler.defaults()
              .assembleVerified(chunks.manifestBytes(), chunks::frame, tmp.resolve("verified"));
      assertThat(Files.readAllBytes(trusted.path())).isEqualTo(Files.readAllBytes(full.path()));

      Path bad = tmp.resolve("short");
      assertThatThrownBy(
              () ->
                  ArchiveAssembler.defaults()
                      .assembleVerified(
                          chunks.manifestBytes(),
                          i ->
                              i == 1
                                  ? java.util.Arrays.copyOf(chunks.frame(i), 10)
                                  : chunks.frame(i),
                          bad))
          .isInstanceOfSatisfying(
              FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.CORRUPT_DATA));
      try (Stream<Path> files = Files.list(bad)) {
        assertThat(files.filter(f -> !f.getFileName().toString().startsWith("."))).isEmpty();
      }
    }
  }

  @Test
  void anAssembledArchiveIsByteIdenticalAndRestores() throws Exception {
    Path other = tmp.resolve("assembled");
    SnapshotArchive assembledFull;
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      assembledFull =
          ArchiveAssembler.defaults().assemble(chunks.manifestBytes(), chunks::frame, other);
    }
    SnapshotArchive assembledInc;
    try (ArchiveChunks chunks = ArchiveChunks.open(inc.path())) {
      List<byte[]> frames = new ArrayList<>();
      for (int i = 0; i < chunks.chunkCount(); i++) {
        frames.add(chunks.frame(i));
      }
      assembledInc = ArchiveAssembler.defaults().assemble(chunks.manifestBytes(), frames, other);
    }
    assertThat(assembledFull.name()).isEqualTo(full.name());
    assertThat(assembledInc.name()).isEqualTo(inc.name());
    assertThat(Files.readAllBytes(assembledFull.path())).isEqualTo(Files.readAllBytes(full.path()));
    assertThat(Files.readAllBytes(assembledInc.path())).isEqualTo(Files.readAllBytes(inc.path()));
    try (Stream<Path> files = Files.list(other)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder(full.name().fileName(), inc.name().fileName());
    }
    RestoreResult r =
        new SnapshotRestorer(MerkleTestSupport.diskConfig())
            .restore(
                assembledFull.path(),
                Optional.of(assembledInc.path()),
                tmp.resolve("restored"),
                Optional.of(db.root()));
    assertThat(r.root()).isEqualTo(db.root());

    // At another level only frame 0 differs: the same name, and it restores the same.
    Path level9 = tmp.resolve("level9");
    SnapshotArchive at9;
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      at9 = new ArchiveAssembler(9).assemble(full.manifest(), chunks::frame, level9);
    }
    assertThat(at9.name()).isEqualTo(full.name());
    long frame0 = Files.size(full.path()) - full.manifest().frameBytes();
    assertThat(Files.size(at9.path()) - at9.manifest().frameBytes()).isNotEqualTo(frame0);
    try (ArchiveChunks chunks = ArchiveChunks.open(at9.path())) {
      assertThat(chunks.chunk(0)).isEqualTo(ChunkFrames.payload(full.manifest(), 0, frame(0)));
    }
    assertThat(
            new SnapshotRestorer(MerkleTestSupport.diskConfig())
                .restore(at9.path(), Optional.empty(), tmp.resolve("r9"), Optional.empty())
                .root())
        .isEqualTo(full.manifest().root());
  }

  private byte[] frame(int index) {
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      return chunks.frame(index);
    }
  }

  @Test
  void anArchiveWithoutChunksHasItsEndInFrameZero() throws Exception {
    try (MerkleDB empty = MerkleTestSupport.memoryDb(BranchFactor.BF16, 10)) {
      empty.commit(new Batch().put(Bytes.fromHex("01"), Bytes.fromHex("02")));
      empty.commit(new Batch().delete(Bytes.fromHex("01")));
      SnapshotArchive a = new SnapshotWriter(SMALL_CHUNKS).writeFull(empty, tmp.resolve("empty"));
      assertThat(a.manifest().chunks()).isEmpty();
      assertThat(Zstd.findFrameCompressedSize(Files.readAllBytes(a.path())))
          .isEqualTo(Files.size(a.path()));
      try (ArchiveChunks chunks = ArchiveChunks.open(a.path())) {
        assertThat(chunks.chunkCount()).isZero();
        assertThat(codeOf(() -> chunks.frame(0))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
        SnapshotArchive assembled =
            ArchiveAssembler.defaults()
                .assemble(chunks.manifestBytes(), List.of(), tmp.resolve("empty2"));
        assertThat(Files.readAllBytes(assembled.path())).isEqualTo(Files.readAllBytes(a.path()));
      }
      assertThat(TestArchives.entries(a.path()).keySet()).containsExactly(ArchiveLayout.MANIFEST);
      assertThat(
              new SnapshotRestorer(MerkleTestSupport.diskConfig())
                  .restore(a.path(), Optional.empty(), tmp.resolve("r"), Optional.of(empty.root()))
                  .root())
          .isEqualTo(empty.root());
    }
  }

  @Test
  void theLargestIncompressibleChunkFitsAChunkMessage() throws Exception {
    // The bound the limits rely on, for the largest chunk with all its framing.
    assertThat(Zstd.compressBound(ArchiveLayout.frameContentLength(Limits.MAX_CHUNK_BYTES, true)))
        .isLessThanOrEqualTo(Limits.MAX_CHUNK_FRAME_BYTES);
    // And a real one: random values in one chunk of the largest size.
    try (MerkleDB big = MerkleTestSupport.memoryDb(BranchFactor.BF16, 10)) {
      Random r = new Random(9);
      Batch b = new Batch();
      long bytes = 0;
      while (bytes < Limits.MAX_CHUNK_BYTES - 2 * Limits.MAX_VALUE_BYTES) {
        byte[] v = new byte[Limits.MAX_VALUE_BYTES];
        r.nextBytes(v);
        b.put(MerkleTestSupport.randomKey(r), Bytes.wrap(v));
        bytes += v.length + 40;
      }
      big.commit(b);
      SnapshotArchive a =
          new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(Limits.MAX_CHUNK_BYTES))
              .writeFull(big, tmp.resolve("big"));
      assertThat(a.manifest().chunks()).hasSize(1);
      Manifest.ChunkInfo c = a.manifest().chunks().get(0);
      assertThat(c.frameSize()).isGreaterThan(c.size()); // incompressible
      assertThat(c.frameSize()).isLessThanOrEqualTo(Limits.MAX_CHUNK_FRAME_BYTES);
      try (ArchiveChunks chunks = ArchiveChunks.open(a.path())) {
        assertThat(chunks.chunk(0)).hasSize(c.size());
      }
    }
  }

  // ---- tampering ---------------------------------------------------------------------------

  private static void assertRefused(Runnable call, ErrorCode code, String messagePart) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(FerryException.class, e -> assertThat(e.code()).isEqualTo(code))
        .hasMessageContaining(messagePart);
  }

  /** {@code m} with chunk {@code index}'s size and frame size replaced. */
  private static Manifest withChunk(Manifest m, int index, Manifest.ChunkInfo chunk) {
    List<Manifest.ChunkInfo> chunks = new ArrayList<>(m.chunks());
    chunks.set(index, chunk);
    return new Manifest(
        m.format(),
        m.kind(),
        m.height(),
        m.root(),
        m.branchFactor(),
        m.entries(),
        Math.max(m.chunkSizeLimit(), chunk.size()),
        m.base(),
        chunks);
  }

  @Test
  void aFlippedByteInAFrameIsCorruptData() {
    Manifest m = full.manifest();
    byte[] frame = frame(2);
    for (int pos = 0; pos < frame.length; pos += Math.max(1, frame.length / 40)) {
      byte[] bad = frame.clone();
      bad[pos] ^= 0x04;
      assertThatThrownBy(() -> ChunkFrames.payload(m, 2, bad))
          .as("byte %d flipped", pos)
          .isInstanceOfSatisfying(
              FerryException.class,
              e -> assertThat(e.code()).isIn(ErrorCode.CORRUPT_DATA, ErrorCode.LIMIT_EXCEEDED));
    }
    byte[] last = frame.clone();
    last[last.length - 1] ^= 1; // the frame's checksum
    assertRefused(() -> ChunkFrames.verify(m, 2, last), ErrorCode.CORRUPT_DATA, "chunks/000002");
  }

  @Test
  void aFrameFromAnotherChunkOrArchiveIsCorruptData() throws Exception {
    Manifest m = full.manifest();
    // Another chunk's frame: another size, or another name in its header when the size is made
    // to match.
    byte[] second = frame(1);
    assertRefused(
        () -> ChunkFrames.payload(m, 0, second), ErrorCode.CORRUPT_DATA, "the manifest says");
    Manifest.ChunkInfo c0 = m.chunks().get(0);
    Manifest.ChunkInfo c1 = m.chunks().get(1);
    Manifest sized =
        withChunk(m, 0, new Manifest.ChunkInfo(c1.size(), c0.sha256(), 1, second.length));
    assertRefused(
        () -> ChunkFrames.payload(sized, 0, second),
        ErrorCode.CORRUPT_DATA,
        "found 'chunks/000001'");

    // The same chunk of another archive: its header matches, its hash does not.
    SnapshotArchive otherArchive;
    try (MerkleDB other = MerkleTestSupport.memoryDb(BranchFactor.BF16, 10)) {
      MerkleTestSupport.fillRandom(other, new Random(99), 2_000, 500);
      otherArchive = new SnapshotWriter(SMALL_CHUNKS).writeFull(other, tmp.resolve("other"));
    }
    byte[] foreign;
    try (ArchiveChunks chunks = ArchiveChunks.open(otherArchive.path())) {
      foreign = chunks.frame(0);
    }
    Manifest.ChunkInfo f0 = otherArchive.manifest().chunks().get(0);
    assertRefused(() -> ChunkFrames.payload(m, 0, foreign), ErrorCode.CORRUPT_DATA, "");
    Manifest forged =
        withChunk(m, 0, new Manifest.ChunkInfo(f0.size(), c0.sha256(), 1, f0.frameSize()));
    assertRefused(
        () -> ChunkFrames.payload(forged, 0, foreign), ErrorCode.CORRUPT_DATA, "its SHA-256 is");
    // The last chunk's frame holds the tar's end; another's does not.
    int last = m.chunks().size() - 1;
    Manifest.ChunkInfo cl = m.chunks().get(last);
    byte[] notLast = frame(0);
    Manifest asLast =
        withChunk(m, last, new Manifest.ChunkInfo(c0.size(), c0.sha256(), 1, notLast.length));
    Manifest asFirst =
        withChunk(m, 0, new Manifest.ChunkInfo(cl.size(), cl.sha256(), 1, frame(last).length));
    assertRefused(
        () -> ChunkFrames.payload(asLast, last, notLast), ErrorCode.CORRUPT_DATA, "bytes");
    // The tar's end is past the bound of a chunk that is not the last.
    assertRefused(
        () -> ChunkFrames.payload(asFirst, 0, frame(last)),
        ErrorCode.LIMIT_EXCEEDED,
        "decompresses to more than");
  }

  @Test
  void aTruncatedOrExtendedFrameIsCorruptData() {
    Manifest m = full.manifest();
    byte[] frame = frame(3);
    Manifest.ChunkInfo c = m.chunks().get(3);
    for (int length : new int[] {0, 4, frame.length / 2, frame.length - 1}) {
      byte[] cut = Arrays.copyOf(frame, length);
      assertRefused(
          () -> ChunkFrames.payload(m, 3, cut), ErrorCode.CORRUPT_DATA, "the manifest says");
      if (length > 0) {
        // Even when the manifest agrees on the size, it is not a whole frame.
        Manifest agreeing =
            withChunk(m, 3, new Manifest.ChunkInfo(c.size(), c.sha256(), 1, length));
        assertRefused(
            () -> ChunkFrames.payload(agreeing, 3, cut), ErrorCode.CORRUPT_DATA, "zstd frame");
      }
    }
    // Two frames where one belongs.
    byte[] twice = new byte[2 * frame.length];
    System.arraycopy(frame, 0, twice, 0, frame.length);
    System.arraycopy(frame, 0, twice, frame.length, frame.length);
    Manifest doubled =
        withChunk(m, 3, new Manifest.ChunkInfo(c.size(), c.sha256(), 1, twice.length));
    assertRefused(() -> ChunkFrames.payload(doubled, 3, twice), ErrorCode.CORRUPT_DATA, "not all");
  }

  @Test
  void aZstdBombIsRefusedAtItsBound() throws Exception {
    Manifest m = full.manifest();
    Manifest.ChunkInfo c = m.chunks().get(0);
    // The right header, then 32 MiB of zeros: compresses to a few KiB.
    byte[] content = new byte[32 << 20];
    System.arraycopy(
        ArchiveLayout.header(ArchiveLayout.chunkName(0), c.size()), 0, content, 0, 512);
    byte[] withSize;
    try (FrameCompressor z = new FrameCompressor(3)) {
      int n = z.compress(content, content.length, "bomb");
      withSize = Arrays.copyOf(z.frame(), n);
    }
    // Without a content size in its header, as a streaming compressor writes it.
    ByteArrayOutputStream streamed = new ByteArrayOutputStream();
    try (com.github.luben.zstd.ZstdOutputStream z =
        new com.github.luben.zstd.ZstdOutputStream(streamed, 3)) {
      z.write(content);
    }
    for (byte[] bomb : List.of(withSize, streamed.toByteArray())) {
      assertThat(bomb.length).isLessThan(64 << 10);
      Manifest forged =
          withChunk(m, 0, new Manifest.ChunkInfo(c.size(), c.sha256(), 1, bomb.length));
      assertRefused(
          () -> ChunkFrames.payload(forged, 0, bomb),
          ErrorCode.LIMIT_EXCEEDED,
          "decompresses to more than");
    }
  }

  @Test
  void wrongUseIsATypedError() throws Exception {
    Manifest m = full.manifest();
    assertThat(codeOf(() -> ChunkFrames.payload(m, -1, new byte[1])))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    assertThat(codeOf(() -> ChunkFrames.payload(m, m.chunks().size(), new byte[1])))
        .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      assertThat(codeOf(() -> chunks.frame(-1))).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(codeOf(() -> chunks.frame(chunks.chunkCount())))
          .isEqualTo(ErrorCode.INVALID_ARGUMENT);
    }
    assertThat(codeOf(() -> ArchiveChunks.open(tmp.resolve("absent.tar.zst"))))
        .isEqualTo(ErrorCode.NOT_FOUND);
  }

  @Test
  void anArchiveFileThatDoesNotMatchItsManifestDoesNotOpen() throws Exception {
    byte[] file = Files.readAllBytes(full.path());
    Path dir = Files.createDirectories(tmp.resolve("bad"));
    Path bad = dir.resolve(full.name().fileName());
    long start = file.length - full.manifest().frameBytes();

    // Cut short, or with bytes after the last frame: the frames no longer end where the file does.
    for (byte[] edited :
        List.of(
            Arrays.copyOf(file, file.length - 1),
            Arrays.copyOf(file, file.length + 7),
            Arrays.copyOf(file, (int) start + 3))) {
      Files.write(bad, edited);
      assertRefused(() -> ArchiveChunks.open(bad).close(), ErrorCode.CORRUPT_DATA, "");
    }
    // Under another archive's name.
    Path renamed = dir.resolve(inc.name().fileName());
    Files.write(renamed, file);
    assertRefused(() -> ArchiveChunks.open(renamed).close(), ErrorCode.CORRUPT_DATA, "commits to");
    // A file cut inside the manifest's frame.
    Files.write(bad, Arrays.copyOf(file, 20));
    assertRefused(() -> ArchiveChunks.open(bad).close(), ErrorCode.CORRUPT_DATA, "");
    // A file that is not zstd at all.
    Files.write(bad, new byte[1000]);
    assertRefused(() -> ArchiveChunks.open(bad).close(), ErrorCode.CORRUPT_DATA, "");
    // A single-frame archive with a format-2 manifest (the frames it gives are not there).
    Path repacked = dir.resolve(full.name().fileName());
    TestArchives.repack(TestArchives.entries(full.path()), repacked, (n, d) -> d);
    assertRefused(() -> ArchiveChunks.open(repacked).close(), ErrorCode.CORRUPT_DATA, "");
    // The file cut after open: the read of a frame past the end says so.
    Path cut = dir.resolve("cut").resolve(full.name().fileName());
    Files.createDirectories(cut.getParent());
    Files.write(cut, file);
    try (ArchiveChunks chunks = ArchiveChunks.open(cut)) {
      try (var ch =
          java.nio.channels.FileChannel.open(cut, java.nio.file.StandardOpenOption.WRITE)) {
        ch.truncate(file.length - 10);
      }
      int lastIndex = chunks.chunkCount() - 1;
      assertRefused(() -> chunks.frame(lastIndex), ErrorCode.CORRUPT_DATA, "truncated");
      assertThat(chunks.frame(0)).isEqualTo(frame(0));
    }
  }

  @Test
  void aManifestFrameThatAsksForAHugeZstdWindowIsRefused() throws Exception {
    byte[] file = Files.readAllBytes(full.path());
    int start = (int) (file.length - full.manifest().frameBytes());
    byte[] content = ArchiveLayout.manifestFrameContent(manifestBytes(), false);
    Path dir = Files.createDirectories(tmp.resolve("window"));
    Path archive = dir.resolve(full.name().fileName());
    for (int windowLog : new int[] {20, 27}) {
      // Frame 0 streamed (no content size in its header) with the window it declares.
      ByteArrayOutputStream frame0 = new ByteArrayOutputStream();
      try (com.github.luben.zstd.ZstdOutputStream z =
          new com.github.luben.zstd.ZstdOutputStream(frame0, 3)) {
        z.setChecksum(true);
        z.setWindowLog(windowLog);
        z.write(content);
      }
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      bytes.writeBytes(frame0.toByteArray());
      bytes.write(file, start, file.length - start);
      Files.write(archive, bytes.toByteArray());
      if (windowLog == 20) {
        try (ArchiveChunks chunks = ArchiveChunks.open(archive)) {
          assertThat(chunks.chunk(0)).isNotEmpty(); // the same archive otherwise
        }
      } else {
        assertRefused(() -> ArchiveChunks.open(archive).close(), ErrorCode.CORRUPT_DATA, "memory");
      }
    }
  }

  private byte[] manifestBytes() {
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      return chunks.manifestBytes();
    }
  }

  @Test
  void anAssemblerGivenABadFrameLeavesNothing() throws Exception {
    Path dir = tmp.resolve("assembled");
    byte[] manifest;
    List<byte[]> frames = new ArrayList<>();
    try (ArchiveChunks chunks = ArchiveChunks.open(full.path())) {
      manifest = chunks.manifestBytes();
      for (int i = 0; i < chunks.chunkCount(); i++) {
        frames.add(chunks.frame(i));
      }
    }
    byte[] bad = frames.get(4).clone();
    bad[bad.length / 2] ^= 1;
    frames.set(4, bad);
    assertRefused(
        () -> ArchiveAssembler.defaults().assemble(manifest, frames, dir),
        ErrorCode.CORRUPT_DATA,
        "chunks/000004");
    assertThat(SnapshotArchives.list(dir)).isEmpty();
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty(); // no temporary file either
    }
    // A source that fails is an I/O error, and leaves nothing either.
    assertRefused(
        () ->
            ArchiveAssembler.defaults()
                .assemble(
                    manifest,
                    i -> {
                      throw new IOException("staging disk gone");
                    },
                    dir),
        ErrorCode.IO_ERROR,
        "staging disk gone");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files).isEmpty();
    }
    // A manifest that does not decode.
    assertRefused(
        () -> ArchiveAssembler.defaults().assemble(new byte[] {(byte) 0xff}, List.of(), dir),
        ErrorCode.CORRUPT_DATA,
        "manifest");
  }
}
