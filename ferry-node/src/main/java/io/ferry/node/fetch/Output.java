package io.ferry.node.fetch;

import java.nio.file.Path;

/**
 * Where a download goes: a file the caller names, or a directory in which the file takes its name
 * from the URL the caller gave (or, through a redirect, an archive name; never another name a
 * server chooses).
 */
public sealed interface Output {
  /** Exactly this file. */
  record File(Path path) implements Output {}

  /** A file in {@code dir} named after the URL. */
  record NamedIn(Path dir) implements Output {}

  static Output file(Path path) {
    return new File(path);
  }

  static Output namedIn(Path dir) {
    return new NamedIn(dir);
  }
}
