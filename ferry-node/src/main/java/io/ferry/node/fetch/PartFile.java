package io.ferry.node.fetch;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.BitSet;

/**
 * A download in progress: {@code FILE.part} holds the bytes at their offsets, and {@code
 * FILE.part.state} records the file's size, entity tag and which segments (fixed-size pieces of the
 * file) are complete, so an interrupted download resumes where it stopped. A segment is marked
 * complete only after its bytes are forced to disk, so a crash can lose progress but never marks
 * missing bytes as present.
 *
 * <p>Thread-safe: segment writes go to disjoint offsets; marking is synchronized.
 */
final class PartFile implements AutoCloseable {
  private final Path target;
  private final Path part;
  private final Path state;
  private final long size;
  private final String etag;
  private final int segmentBytes;
  private final int segments;
  private final BitSet done;
  private final FileChannel channel;
  private final java.util.concurrent.locks.ReentrantLock checkpointing =
      new java.util.concurrent.locks.ReentrantLock();
  private long unsaved;

  private long lastCheckpointNanos = System.nanoTime();

  /** Completed bytes, or time, between two automatic checkpoints. */
  static final long CHECKPOINT_BYTES = 64L << 20;

  static final long CHECKPOINT_NANOS = 1_000_000_000L;

  private PartFile(Path target, long size, String etag, int segmentBytes, BitSet done)
      throws IOException {
    this.target = target;
    this.part = sibling(target, ".part");
    this.state = sibling(target, ".part.state");
    this.size = size;
    this.etag = etag == null ? "" : etag;
    this.segmentBytes = segmentBytes;
    this.segments = (int) ((size + segmentBytes - 1) / segmentBytes);
    this.done = done;
    this.channel =
        FileChannel.open(
            part, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
  }

  private static Path sibling(Path p, String suffix) {
    return p.resolveSibling(p.getFileName() + suffix);
  }

  /**
   * Opens the partial download of {@code target}, resuming it when its recorded size and entity tag
   * match the server's, or starting over otherwise.
   */
  static PartFile open(Path target, long size, String etag, int segmentBytes) throws IOException {
    Path state = sibling(target, ".part.state");
    Path part = sibling(target, ".part");
    BitSet done = new BitSet();
    if (Files.exists(state) && Files.exists(part)) {
      String[] lines = Files.readString(state, StandardCharsets.UTF_8).split("\n", -1);
      if (lines.length >= 4
          && lines[0].equals("ferry-fetch 1")
          && lines[1].equals(Long.toString(size))
          && lines[2].equals(etag == null ? "" : etag)
          && lines[3].startsWith(segmentBytes + " ")) {
        done =
            BitSet.valueOf(
                java.util.HexFormat.of().parseHex(lines[3].substring(lines[3].indexOf(' ') + 1)));
      } else {
        Files.deleteIfExists(part); // another file, or another version of it: start over
      }
    } else {
      Files.deleteIfExists(part);
    }
    return new PartFile(target, size, etag, segmentBytes, done);
  }

  long size() {
    return size;
  }

  int segments() {
    return segments;
  }

  long segmentStart(int i) {
    return (long) i * segmentBytes;
  }

  long segmentEnd(int i) {
    return Math.min(size, segmentStart(i) + segmentBytes) - 1;
  }

  synchronized boolean isDone(int i) {
    return done.get(i);
  }

  synchronized long bytesDone() {
    long n = 0;
    for (int i = done.nextSetBit(0); i >= 0 && i < segments; i = done.nextSetBit(i + 1)) {
      n += segmentEnd(i) - segmentStart(i) + 1;
    }
    return n;
  }

  synchronized boolean complete() {
    return done.cardinality() >= segments;
  }

  void write(long offset, ByteBuffer bytes) throws IOException {
    while (bytes.hasRemaining()) {
      offset += channel.write(bytes, offset);
    }
  }

  /**
   * Records segments {@code from} (inclusive) to {@code to} (exclusive) as complete; their bytes
   * must have been written. The record reaches disk at the next {@link #checkpoint}, which runs by
   * itself once {@link #CHECKPOINT_BYTES} more are complete or a second has passed: forcing the
   * file after every request would stall the download on the disk, and a crash then loses at most
   * that much progress.
   */
  void markDone(int from, int to) throws IOException {
    if (from >= to) {
      return;
    }
    boolean due;
    synchronized (this) {
      done.set(from, to);
      unsaved += segmentEnd(to - 1) - segmentStart(from) + 1;
      due =
          unsaved >= CHECKPOINT_BYTES
              || System.nanoTime() - lastCheckpointNanos >= CHECKPOINT_NANOS;
    }
    if (due && checkpointing.tryLock()) {
      try {
        checkpoint();
      } finally {
        checkpointing.unlock();
      }
    }
  }

  /**
   * Forces the bytes written so far to disk, then records the segments marked complete before the
   * force. A segment in the record therefore always has its bytes on disk.
   */
  void checkpoint() throws IOException {
    String snapshot;
    synchronized (this) {
      unsaved = 0;
      lastCheckpointNanos = System.nanoTime();
      snapshot =
          "ferry-fetch 1\n"
              + size
              + "\n"
              + etag
              + "\n"
              + segmentBytes
              + " "
              + java.util.HexFormat.of().formatHex(done.toByteArray())
              + "\n";
    }
    channel.force(false);
    synchronized (state) {
      Path tmp = sibling(target, ".part.state.tmp");
      Files.writeString(tmp, snapshot, StandardCharsets.UTF_8);
      Files.move(tmp, state, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }
  }

  /** The SHA-256 of the whole part file, hex. */
  String sha256() throws IOException {
    java.security.MessageDigest md;
    try {
      md = java.security.MessageDigest.getInstance("SHA-256");
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
    long pos = 0;
    while (pos < size) {
      buf.clear();
      int n = channel.read(buf, pos);
      if (n < 0) {
        throw new FerryException(ErrorCode.CORRUPT_DATA, part + " is shorter than " + size);
      }
      buf.flip();
      md.update(buf);
      pos += n;
    }
    return java.util.HexFormat.of().formatHex(md.digest());
  }

  /**
   * Moves the finished download into place and removes the state file.
   *
   * @param replace replace a file at the target; otherwise one that appeared there meanwhile is an
   *     {@link OutputExistsException} and the finished part file stays for a later run
   */
  void finish(boolean replace) throws IOException {
    channel.force(true);
    channel.close();
    if (Files.size(part) != size) {
      throw new FerryException(
          ErrorCode.CORRUPT_DATA, part + " has " + Files.size(part) + " bytes, expected " + size);
    }
    if (replace) {
      Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } else {
      moveWithoutReplacing();
    }
    Files.deleteIfExists(state);
  }

  /**
   * A rename replaces what is at the target, so the file takes its name through a hard link, which
   * fails if the name is taken; where links are not supported, a check just before the move.
   */
  private void moveWithoutReplacing() throws IOException {
    try {
      Files.createLink(target, part);
      Files.delete(part);
      return;
    } catch (FileAlreadyExistsException e) {
      throw new OutputExistsException(target);
    } catch (IOException | UnsupportedOperationException e) {
      // no hard links here (another file system, or a file system without them)
    }
    if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new OutputExistsException(target);
    }
    Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
  }

  /** Discards the download (bad hash): the next run starts over. */
  void discard() throws IOException {
    channel.close();
    Files.deleteIfExists(part);
    Files.deleteIfExists(state);
  }

  @Override
  public void close() throws IOException {
    if (channel.isOpen()) {
      channel.close();
    }
  }
}
