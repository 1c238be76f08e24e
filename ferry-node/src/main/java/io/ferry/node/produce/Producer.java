package io.ferry.node.produce;

import io.ferry.core.Bytes;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.Revision;
import io.ferry.node.config.NodeConfig;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commits a stream of generated updates: every interval, one commit of random 32-byte keys with
 * random values, through the node's one commit path (which signs the head, pushes to subscribers
 * and schedules snapshots). The updates are a function of the seed and the height, so two producers
 * with the same seed and start state make the same roots.
 *
 * <p>Runs on the scheduler's thread; {@link #close} (any thread) stops it after the commit in
 * progress.
 */
public final class Producer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Producer.class);

  private final MerkleDB db;
  private final NodeConfig.Producer config;
  private final Scheduler scheduler;
  private final long seed;
  private final Function<Batch, Revision> commit;
  private volatile boolean closed;
  private volatile Cancellable next;
  private volatile long commits;

  public Producer(
      MerkleDB db,
      NodeConfig.Producer config,
      Scheduler scheduler,
      long seed,
      Function<Batch, Revision> commit) {
    this.db = db;
    this.config = config;
    this.scheduler = scheduler;
    this.seed = seed;
    this.commit = commit;
  }

  /** Schedules the first commit one interval from now. */
  public void start() {
    next = scheduler.schedule(config.commitInterval(), this::tick);
  }

  /** Commits made since {@link #start}. */
  public long commits() {
    return commits;
  }

  // Synchronized with close(), so close() returns only after the commit in progress.
  private synchronized void tick() {
    if (closed) {
      return;
    }
    try {
      commitOnce();
    } catch (RuntimeException e) {
      // A failed commit changes nothing; the next one tries again.
      log.error("commit failed", e);
    }
    if (!closed) {
      next = scheduler.schedule(config.commitInterval(), this::tick);
    }
  }

  /**
   * Makes one commit of generated updates and returns its revision. {@code db} is read for the
   * height only: the commit goes through the commit function.
   */
  public Revision commitOnce() {
    long height = db.height() + 1;
    SplittableRandom random = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + height);
    Batch batch = new Batch();
    byte[] key = new byte[32];
    for (int i = 0; i < config.updatesPerCommit(); i++) {
      fill(random, key);
      byte[] value = new byte[config.valueSize()];
      fill(random, value);
      batch.put(Bytes.of(key), Bytes.wrap(value));
    }
    Revision r = commit.apply(batch);
    commits++;
    log.debug("committed height {} root {}", r.height(), r.root());
    return r;
  }

  private static void fill(SplittableRandom random, byte[] b) {
    for (int i = 0; i < b.length; i += 8) {
      long v = random.nextLong();
      for (int j = 0; j < 8 && i + j < b.length; j++) {
        b[i + j] = (byte) (v >>> (8 * j));
      }
    }
  }

  /** Stops committing; returns once the commit in progress, if any, has landed. */
  @Override
  public void close() {
    closed = true;
    Cancellable n = next;
    if (n != null) {
      n.cancel();
    }
    synchronized (this) {
      // waits for tick()
    }
  }
}
