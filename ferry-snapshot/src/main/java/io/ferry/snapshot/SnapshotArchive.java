package io.ferry.snapshot;

import io.ferry.core.archive.ArchiveName;
import java.nio.file.Path;

/**
 * An archive just written: where it is, its name and its manifest. Immutable.
 *
 * @param bytes size of the archive file (compressed)
 */
public record SnapshotArchive(Path path, ArchiveName name, Manifest manifest, long bytes) {}
