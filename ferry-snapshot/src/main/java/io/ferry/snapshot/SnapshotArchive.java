package io.ferry.snapshot;

import java.nio.file.Path;

/**
 * An archive just written: where it is, its name and its manifest. Immutable.
 *
 * @param bytes size of the archive file (compressed)
 */
public record SnapshotArchive(Path path, SnapshotName name, Manifest manifest, long bytes) {}
