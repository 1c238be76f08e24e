package io.ferry.snapshot;

import java.nio.file.attribute.FileTime;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Names and headers of an archive's tar entries: {@code manifest} first, then {@code
 * chunks/000000}, {@code chunks/000001}, … in order. Headers carry no time, owner or mode of the
 * machine that wrote them, so equal states give equal archive bytes.
 *
 * <p>In format 2 each entry is one zstd frame: its 512-byte header, its payload, zeros to the next
 * 512-byte block, and in the last frame the tar's end (two zero blocks, no padding to a 10,240-byte
 * record: readers take a tar that ends after them).
 */
final class ArchiveLayout {
  static final String MANIFEST = "manifest";
  static final String CHUNK_PREFIX = "chunks/";

  /** Bytes of a tar block: a header, and the unit entries are padded to. */
  static final int BLOCK = 512;

  /** Bytes of the tar's end: two zero blocks. */
  static final int END = 2 * BLOCK;

  private ArchiveLayout() {}

  static String chunkName(int index) {
    return CHUNK_PREFIX + String.format(Locale.ROOT, "%06d", index);
  }

  static TarArchiveEntry entry(String name, long size) {
    TarArchiveEntry e = new TarArchiveEntry(name, true);
    e.setSize(size);
    e.setMode(0100644);
    e.setModTime(FileTime.fromMillis(0));
    e.setIds(0, 0);
    e.setUserName("");
    e.setGroupName("");
    return e;
  }

  /** The 512-byte tar header of an entry, as {@code TarArchiveOutputStream} writes it. */
  static byte[] header(String name, long size) {
    byte[] out = new byte[BLOCK];
    entry(name, size).writeEntryHeader(out);
    return out;
  }

  /** Zero bytes after a payload of {@code size} bytes up to the next block. */
  static int padding(long size) {
    return (int) ((BLOCK - size % BLOCK) % BLOCK);
  }

  /**
   * Uncompressed bytes of one entry's frame: header, payload and padding, and the tar's end when
   * {@code last}.
   */
  static int frameContentLength(int payload, boolean last) {
    return BLOCK + payload + padding(payload) + (last ? END : 0);
  }

  /**
   * The uncompressed content of frame 0: the manifest's entry, and the tar's end when the archive
   * has no chunks.
   */
  static byte[] manifestFrameContent(byte[] manifestBytes, boolean noChunks) {
    byte[] content = new byte[frameContentLength(manifestBytes.length, noChunks)];
    System.arraycopy(header(MANIFEST, manifestBytes.length), 0, content, 0, BLOCK);
    System.arraycopy(manifestBytes, 0, content, BLOCK, manifestBytes.length);
    return content; // the rest is zeros: padding, and the end
  }
}
