package io.ferry.snapshot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.archive.ArchiveName;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleTestSupport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.stream.Stream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every way an archive can be bad gives a typed error and leaves no store behind. */
class SnapshotCorruptionTest {
  @TempDir Path tmp;

  private SnapshotArchive full;
  private SnapshotArchive inc;
  private Hash headRoot;
  private Path target;

  @BeforeEach
  void archives() {
    try (MerkleDB db = MerkleTestSupport.openDb(tmp.resolve("src"))) {
      Random r = new Random(7);
      MerkleTestSupport.fillRandom(db, r, 3_000, 1_000);
      SnapshotWriter w = new SnapshotWriter(SnapshotConfig.defaults().withChunkSize(32 << 10));
      full = w.writeFull(db, tmp.resolve("arch"));
      MerkleTestSupport.churnRandom(db, r, 300);
      inc = w.writeIncremental(db, db.revision(), full.path(), tmp.resolve("arch"));
      headRoot = db.root();
    }
    target = tmp.resolve("data");
  }

  private RestoreResult restore(Path fullPath, Optional<Path> incPath, Optional<Hash> trusted) {
    return new SnapshotRestorer(MerkleTestSupport.diskConfig())
        .restore(fullPath, incPath, target, trusted);
  }

  private void assertFails(ThrowingCallable call, ErrorCode code, String messagePart) {
    assertThatThrownBy(call)
        .isInstanceOfSatisfying(
            FerryException.class,
            e -> {
              assertThat(e.code()).isEqualTo(code);
              assertThat(e.getMessage()).contains(messagePart);
            });
    assertThat(target).doesNotExist();
    assertNoTempDirs();
  }

  private void assertNoTempDirs() {
    try (Stream<Path> s = Files.list(tmp)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".restore-"));
    } catch (IOException e) {
      throw new RuntimeException(e);
    }
  }

  @Test
  void aFlippedPayloadByteIsCaughtByTheChunkHashAndNamed() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    Path bad = tmp.resolve(full.name().fileName()); // same name, outside the archive dir
    TestArchives.repack(
        entries,
        bad,
        (name, data) -> {
          if (name.equals("chunks/000002")) {
            data[100] ^= 1;
          }
          return data;
        });
    assertFails(
        () -> restore(bad, Optional.empty(), Optional.empty()),
        ErrorCode.CORRUPT_DATA,
        "chunks/000002: its SHA-256");
  }

  @Test
  void aFlippedByteInTheCompressedFileIsCorruptData() throws Exception {
    byte[] bytes = Files.readAllBytes(full.path());
    for (int pos : new int[] {bytes.length / 3, bytes.length / 2, bytes.length - 10}) {
      Path bad = tmp.resolve("flip").resolve(full.name().fileName());
      Files.createDirectories(bad.getParent());
      byte[] copy = bytes.clone();
      copy[pos] ^= 0x10;
      Files.write(bad, copy);
      assertFails(
          () -> restore(bad, Optional.empty(), Optional.empty()), ErrorCode.CORRUPT_DATA, "");
    }
  }

  @Test
  void aTruncatedFileIsCorruptData() throws Exception {
    byte[] bytes = Files.readAllBytes(full.path());
    for (int length : new int[] {10, 200, bytes.length / 2, bytes.length - 1}) {
      Path bad = tmp.resolve("cut").resolve(full.name().fileName());
      Files.createDirectories(bad.getParent());
      Files.write(bad, java.util.Arrays.copyOf(bytes, length));
      assertFails(
          () -> restore(bad, Optional.empty(), Optional.empty()), ErrorCode.CORRUPT_DATA, "");
    }
  }

  @Test
  void aManifestThatIsNotTheOneTheNameCommitsToIsCorruptData() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    Manifest m = full.manifest();
    Manifest forged =
        new Manifest(
            m.format(),
            m.kind(),
            m.height(),
            Hash.ZERO,
            m.branchFactor(),
            m.entries(),
            m.chunkSizeLimit(),
            m.base(),
            m.chunks());
    Path bad = tmp.resolve(full.name().fileName());
    TestArchives.repack(
        entries, bad, (name, data) -> name.equals("manifest") ? forged.encode() : data);
    assertFails(
        () -> restore(bad, Optional.empty(), Optional.empty()),
        ErrorCode.CORRUPT_DATA,
        "not the one the file name commits to");
  }

  @Test
  void aManifestWithAWrongRootUnderItsOwnNameFailsVerification() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    Manifest m = full.manifest();
    Manifest forged =
        new Manifest(
            m.format(),
            m.kind(),
            m.height(),
            Sha256Hasher.INSTANCE.hash(new byte[] {1}),
            m.branchFactor(),
            m.entries(),
            m.chunkSizeLimit(),
            m.base(),
            m.chunks());
    Path bad = tmp.resolve(ArchiveName.full(m.height(), forged.hash()).fileName());
    TestArchives.repack(
        entries, bad, (name, data) -> name.equals("manifest") ? forged.encode() : data);
    assertFails(
        () -> restore(bad, Optional.empty(), Optional.empty()),
        ErrorCode.VERIFICATION_FAILED,
        "is not the manifest's");
  }

  @Test
  void aManifestThatDoesNotDecodeIsCorruptData() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    Path bad = tmp.resolve("renamed.tar.zst");
    TestArchives.repack(
        entries, bad, (name, data) -> name.equals("manifest") ? new byte[] {(byte) 0xff} : data);
    assertFails(
        () -> restore(bad, Optional.empty(), Optional.empty()), ErrorCode.CORRUPT_DATA, "manifest");
  }

  @Test
  void aChunkMissingOrAddedIsCorruptData() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(full.path());
    Path bad = tmp.resolve("renamed.tar.zst");
    Map<String, byte[]> fewer = new java.util.LinkedHashMap<>(entries);
    fewer.remove("chunks/000003");
    TestArchives.repack(fewer, bad, (name, data) -> data);
    assertFails(
        () -> restore(bad, Optional.empty(), Optional.empty()),
        ErrorCode.CORRUPT_DATA,
        "chunks/000003");

    Map<String, byte[]> more = new java.util.LinkedHashMap<>(entries);
    more.put("extra", new byte[] {1});
    TestArchives.repack(more, bad, (name, data) -> data);
    assertFails(
        () -> restore(bad, Optional.empty(), Optional.empty()),
        ErrorCode.CORRUPT_DATA,
        "unexpected entry 'extra'");
  }

  @Test
  void aBadTrustedRootFailsVerification() {
    Hash other = Sha256Hasher.INSTANCE.hash(new byte[] {2});
    assertFails(
        () -> restore(full.path(), Optional.empty(), Optional.of(other)),
        ErrorCode.VERIFICATION_FAILED,
        "trusted root");
    assertFails(
        () -> restore(full.path(), Optional.of(inc.path()), Optional.of(full.manifest().root())),
        ErrorCode.VERIFICATION_FAILED,
        "trusted root");
    RestoreResult ok = restore(full.path(), Optional.of(inc.path()), Optional.of(headRoot));
    assertThat(ok.root()).isEqualTo(headRoot);
  }

  @Test
  void aCorruptIncrementalLeavesNoStore() throws Exception {
    Map<String, byte[]> entries = TestArchives.entries(inc.path());
    Path bad = tmp.resolve(inc.name().fileName());
    TestArchives.repack(
        entries,
        bad,
        (name, data) -> {
          if (name.equals("chunks/000000")) {
            data[data.length - 1] ^= 1;
          }
          return data;
        });
    assertFails(
        () -> restore(full.path(), Optional.of(bad), Optional.empty()),
        ErrorCode.CORRUPT_DATA,
        "chunks/000000");
  }

  @Test
  void anIncrementalOnAnotherBaseIsRefused() {
    assertFails(
        () -> restore(inc.path(), Optional.empty(), Optional.empty()),
        ErrorCode.INVALID_ARGUMENT,
        "is not full");
    assertFails(
        () -> restore(full.path(), Optional.of(full.path()), Optional.empty()),
        ErrorCode.INVALID_ARGUMENT,
        "not an incremental");
  }

  @Test
  void aTargetWithFilesIsRefusedAndKept() throws Exception {
    Files.createDirectories(target);
    Files.writeString(target.resolve("keep"), "x");
    assertThatThrownBy(() -> restore(full.path(), Optional.empty(), Optional.empty()))
        .isInstanceOfSatisfying(
            FerryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.ILLEGAL_STATE));
    assertThat(target.resolve("keep")).hasContent("x");
  }

  @Test
  void anEmptyTargetDirectoryIsRestoredInto() throws Exception {
    Files.createDirectories(target);
    assertThat(restore(full.path(), Optional.empty(), Optional.empty()).root())
        .isEqualTo(full.manifest().root());
    assertThat(target).isDirectory();
  }
}
