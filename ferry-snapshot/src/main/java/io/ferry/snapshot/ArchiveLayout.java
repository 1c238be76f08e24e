package io.ferry.snapshot;

import java.nio.file.attribute.FileTime;
import java.util.Locale;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Names and headers of an archive's tar entries: {@code manifest} first, then {@code
 * chunks/000000}, {@code chunks/000001}, … in order. Headers carry no time, owner or mode of the
 * machine that wrote them, so equal states give equal archive bytes.
 */
final class ArchiveLayout {
  static final String MANIFEST = "manifest";
  static final String CHUNK_PREFIX = "chunks/";

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
}
