package io.ferry.snapshot;

import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.merkledb.KeyValue;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * A full archive's records, read on a thread of its own ahead of the one that consumes them:
 * decompression, the chunk checks and parsing ({@link SnapshotReader#nextPut}) run on one core
 * while the bulk load builds the trie on another. The consumer sees the records in archive order
 * and then, at the point where it happened, whatever failed in reading them (the reader's own
 * {@link FerryException}, so its error code and message are those of a reading on one thread);
 * {@link #hasNext} turns false only after the reader has checked the end of the archive.
 *
 * <p>{@link #close} stops the reading thread and waits for it, so the caller may then close the
 * {@link SnapshotReader} without freeing native memory under it. Not thread-safe: one consumer.
 */
final class RecordReadAhead implements Iterator<KeyValue>, AutoCloseable {
  /** Records per batch handed to the consumer. */
  private static final int BATCH = 1024;

  /** Batches read ahead: with 100-byte values about 1 MiB, a quarter of a chunk. */
  private static final int DEPTH = 8;

  /** Marks the end of the records, after the reader checked the end of the archive. */
  private static final Object END = new Object();

  private final SnapshotReader reader;
  private final BlockingQueue<Object> queue = new ArrayBlockingQueue<>(DEPTH);
  private final Thread thread;
  private volatile boolean stopping;
  private KeyValue[] batch = new KeyValue[0];
  private int pos;
  private boolean ended;
  private boolean complete;

  private RecordReadAhead(SnapshotReader reader) {
    this.reader = reader;
    this.thread = Thread.ofPlatform().name("ferry-restore-read").daemon().unstarted(this::run);
  }

  /** Starts reading {@code reader}'s records; the caller must {@link #close} it. */
  static RecordReadAhead start(SnapshotReader reader) {
    RecordReadAhead r = new RecordReadAhead(reader);
    r.thread.start();
    return r;
  }

  private void run() {
    try {
      while (!stopping) {
        KeyValue[] b = new KeyValue[BATCH];
        int n = 0;
        KeyValue kv = null;
        while (n < BATCH && (kv = reader.nextPut()) != null) {
          b[n++] = kv;
        }
        if (n > 0) {
          queue.put(n == BATCH ? b : Arrays.copyOf(b, n));
        }
        if (kv == null) {
          queue.put(END);
          return;
        }
      }
    } catch (InterruptedException e) {
      // stopped by close
    } catch (RuntimeException | Error e) {
      if (!stopping) {
        try {
          queue.put(e);
        } catch (InterruptedException stopped) {
          // stopped by close: nobody waits for the error
        }
      }
    }
  }

  @Override
  public boolean hasNext() {
    if (pos < batch.length) {
      return true;
    }
    if (ended) {
      return false;
    }
    Object next;
    try {
      next = queue.take();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "restore interrupted", e);
    }
    if (next == END) {
      ended = true;
      complete = true;
      return false;
    }
    if (next instanceof RuntimeException e) {
      ended = true;
      throw e;
    }
    if (next instanceof Error e) {
      ended = true;
      throw e;
    }
    batch = (KeyValue[]) next;
    pos = 0;
    return true;
  }

  @Override
  public KeyValue next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    KeyValue kv = batch[pos];
    batch[pos++] = null; // the bulk load keeps what it needs; let the rest go
    return kv;
  }

  /** True once every record was handed out and the reader checked the end of the archive. */
  boolean complete() {
    return complete;
  }

  @Override
  public void close() {
    stopping = true;
    thread.interrupt(); // out of a full queue, or of a file read (the channel closes)
    try {
      if (!thread.join(java.time.Duration.ofMinutes(1))) {
        throw new FerryException(ErrorCode.INTERNAL, "the restore's reading thread did not stop");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "restore interrupted", e);
    }
  }
}
