package io.ferry.sim.statesync;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Temporary directories for simulated nodes' files: in a memory file system where the machine has
 * one (Linux's {@code /dev/shm}), as {@code NodeSimulation} keeps its archives, since staging a
 * chunk fsyncs it and a disk would make every run wait for that; else in {@code java.io.tmpdir}.
 * The caller deletes them.
 */
final class TempDirs {
  private TempDirs() {}

  static Path create(String prefix) {
    Path shm = Path.of("/dev/shm");
    Path base =
        Files.isDirectory(shm) && Files.isWritable(shm)
            ? shm
            : Path.of(System.getProperty("java.io.tmpdir"));
    try {
      return Files.createTempDirectory(base, prefix);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create a temporary directory in " + base, e);
    }
  }
}
