package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ProofGenerator;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Readers during commits, and commits that race or come from stale views. */
class ConcurrencyTest {
  private static final int COMMITS = 200;
  private static final int READERS = 3;

  @TempDir Path tmp;

  static Bytes b(String s) {
    return Bytes.wrap(s.getBytes(StandardCharsets.US_ASCII));
  }

  static MerkleDBConfig config() {
    return MerkleDBConfig.defaults().withHistoryLength(300);
  }

  static Batch randomBatch(Random r) {
    Batch b = new Batch();
    for (int i = 0; i < 50; i++) {
      byte[] k = new byte[1 + r.nextInt(2)];
      for (int j = 0; j < k.length; j++) {
        k[j] = (byte) ('a' + r.nextInt(16));
      }
      if (r.nextInt(4) == 0) {
        b.delete(Bytes.wrap(k));
      } else {
        byte[] v = new byte[r.nextInt(60)];
        r.nextBytes(v);
        b.put(Bytes.wrap(k), Bytes.wrap(v));
      }
    }
    return b;
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void readersSeeConsistentSnapshotsWhileCommitsLand() throws Exception {
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config())) {
      Random seed = new Random(21);
      for (int i = 0; i < 20; i++) {
        db.commit(randomBatch(seed)); // something to read from the start
      }
      Map<Long, Hash> committed = new ConcurrentHashMap<>();
      db.revisions().forEach(r -> committed.put(r.height(), r.root()));
      ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
      ConcurrentLinkedQueue<Revision> seen = new ConcurrentLinkedQueue<>();
      AtomicBoolean writing = new AtomicBoolean(true);
      AtomicInteger[] iterations = new AtomicInteger[READERS];
      // The height each reader last finished a pass at. The writer commits the next block only
      // when every reader has read the last one whole, so readers run during every commit however
      // the threads are scheduled, instead of a pause that is long enough on a fast machine only.
      AtomicLongArray readAt = new AtomicLongArray(READERS);
      Object progress = new Object();
      CyclicBarrier start = new CyclicBarrier(READERS + 1);

      Thread writer =
          Thread.ofPlatform()
              .name("writer")
              .start(
                  () -> {
                    try {
                      start.await();
                      Random r = new Random(22);
                      for (int i = 0; i < COMMITS && errors.isEmpty(); i++) {
                        Revision rev = db.commit(randomBatch(r));
                        committed.put(rev.height(), rev.root());
                        synchronized (progress) {
                          while (!allReadAt(readAt, rev.height()) && errors.isEmpty()) {
                            progress.wait();
                          }
                        }
                      }
                    } catch (Throwable t) {
                      errors.add(t);
                    } finally {
                      writing.set(false);
                    }
                  });
      List<Thread> readers = new ArrayList<>();
      for (int n = 0; n < READERS; n++) {
        int id = n;
        AtomicInteger count = iterations[n] = new AtomicInteger();
        Random r = new Random(100 + n);
        readers.add(
            Thread.ofPlatform()
                .name("reader-" + n)
                .start(
                    () -> {
                      try {
                        start.await();
                        // passes while the writer commits, and one after
                        while (writing.get()) {
                          Revision read = readOnce(db, r, seen);
                          count.incrementAndGet();
                          readAt.set(id, read.height());
                          synchronized (progress) {
                            progress.notifyAll();
                          }
                        }
                        readOnce(db, r, seen);
                      } catch (Throwable t) {
                        errors.add(t);
                        synchronized (progress) {
                          progress.notifyAll(); // the writer stops waiting for this reader
                        }
                      }
                    }));
      }
      writer.join();
      for (Thread t : readers) {
        t.join();
      }
      assertThat(errors).isEmpty();
      assertThat(db.height()).isEqualTo(20 + COMMITS);
      System.out.printf(
          "ConcurrencyTest: %d commits; reader iterations %s; %d distinct revisions read%n",
          COMMITS,
          Arrays.toString(iterations),
          seen.stream().map(Revision::height).distinct().count());
      for (AtomicInteger c : iterations) {
        assertThat(c.get())
            .as("passes of a reader during the commits")
            .isGreaterThanOrEqualTo(COMMITS);
      }
      // every snapshot a reader took was a committed revision
      for (Revision r : seen) {
        assertThat(r.root()).as("root at %d", r.height()).isEqualTo(committed.get(r.height()));
      }
      // and every revision committed during the run was read by some reader
      assertThat(seen.stream().map(Revision::height).distinct().count())
          .as("distinct revisions read")
          .isGreaterThanOrEqualTo(COMMITS);
    }
  }

  private static boolean allReadAt(AtomicLongArray readAt, long height) {
    for (int i = 0; i < readAt.length(); i++) {
      if (readAt.get(i) < height) {
        return false;
      }
    }
    return true;
  }

  /**
   * One reader pass: a snapshot scanned whole must hash to its root and prove a range.
   *
   * @return the revision read
   */
  private static Revision readOnce(MerkleDB db, Random r, ConcurrentLinkedQueue<Revision> seen) {
    try (StateSnapshot snap = db.snapshot()) {
      List<KeyValue> all = Stores.scanAll(snap);
      Hash root = snap.root();
      assertThat(Stores.rootOf(all)).as("scan of %s", snap.revision()).isEqualTo(root);
      seen.add(snap.revision());
      for (KeyValue kv : all.subList(0, Math.min(3, all.size()))) {
        assertThat(snap.get(kv.key())).contains(kv.value());
      }

      // a range proof of the snapshot's root, served from the store's history
      byte[] from = {(byte) ('a' + r.nextInt(12))};
      KeyRange range = KeyRange.from(Bytes.wrap(from));
      RangeProof p = db.rangeProof(root, range, 50, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(p, range, 50, root, BranchFactor.BF16);
      List<KeyValue> expected =
          all.stream().filter(kv -> range.contains(kv.key())).limit(50).toList();
      assertThat(p.keyValues()).isEqualTo(expected);
      // and one from the snapshot itself
      RangeProof q = ProofGenerator.rangeProof(snap, range, 50, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(q, range, 50, root, BranchFactor.BF16);
      if (!all.isEmpty()) {
        KeyValue kv = all.get(r.nextInt(all.size()));
        ProofVerifier.verifyProof(ProofGenerator.proof(snap, kv.key()), root, BranchFactor.BF16);
      }
      return snap.revision();
    }
  }

  static void assertIllegalState(Runnable r) {
    assertThatThrownBy(r::run)
        .isInstanceOf(FerryException.class)
        .extracting(e -> ((FerryException) e).code())
        .isEqualTo(ErrorCode.ILLEGAL_STATE);
  }

  @Test
  void aStaleViewIsRejectedAndTheStoreIsUnchanged() {
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config())) {
      db.commit(new Batch().put(b("a"), b("1")));
      View stale = db.newView(new Batch().put(b("b"), b("2")).delete(b("a")));
      View onStale = stale.newView(new Batch().put(b("c"), b("3")));
      Revision moved = db.commit(new Batch().put(b("z"), b("9")));
      List<KeyValue> contents = Stores.scanAll(db);

      assertIllegalState(() -> db.commit(stale));
      assertIllegalState(() -> db.commit(onStale));
      assertThat(db.revision()).isEqualTo(moved);
      assertThat(db.revisions().getLast()).isEqualTo(moved);
      assertThat(Stores.scanAll(db)).isEqualTo(contents);
      assertThat(db.get(b("a"))).contains(b("1"));
      assertThat(db.get(b("b"))).isEmpty();
      assertThat(db.root()).isEqualTo(Stores.rootOf(contents));

      // a fresh view on the new head commits, with the views under it
      View fresh = db.newView(new Batch().put(b("b"), b("2")));
      View top = fresh.newView(new Batch().put(b("c"), b("3")).delete(b("z")));
      Revision r = db.commit(top);
      assertThat(r.root()).isEqualTo(top.root());
      assertThat(Stores.scanAll(db))
          .containsExactly(
              new KeyValue(b("a"), b("1")),
              new KeyValue(b("b"), b("2")),
              new KeyValue(b("c"), b("3")));
      // committed once, a view is stale
      assertIllegalState(() -> db.commit(top));
      assertIllegalState(() -> db.commit(fresh));
      assertThat(db.revision()).isEqualTo(r);
    }
  }

  /** A view outliving the snapshot it was built on cannot commit (nor read freed memory). */
  @Test
  void aViewOnAClosedSnapshotIsRejectedAndTheStoreIsUnchanged() {
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config())) {
      Revision head = db.commit(new Batch().put(b("a"), b("1")));
      View orphan;
      StateSnapshot closed;
      try (StateSnapshot snap = db.snapshot()) {
        orphan = View.of(snap, new Batch().put(b("a"), b("2")).put(b("b"), b("3")));
        closed = snap;
      }
      assertIllegalState(() -> db.commit(orphan));
      assertIllegalState(() -> closed.get(b("a")));
      assertIllegalState(() -> Stores.scanAll(closed));
      assertThat(db.revision()).isEqualTo(head);
      assertThat(Stores.scanAll(db)).containsExactly(new KeyValue(b("a"), b("1")));
      assertThat(db.commit(new Batch().put(b("b"), b("3"))).height()).isEqualTo(2);
    }
  }

  @Test
  void aViewOfAnotherStoreIsRejected() {
    try (MerkleDB db = MerkleDB.inMemory(config());
        MerkleDB other = MerkleDB.inMemory(config())) {
      View foreign = other.newView(new Batch().put(b("a"), b("1")));
      assertIllegalState(() -> db.commit(foreign));
      assertIllegalState(
          () -> db.commit(View.of(TrieReader.empty(BranchFactor.BF16), new Batch())));
      assertThat(db.revision()).isEqualTo(new Revision(0, Hash.ZERO));
      assertThat(other.revision()).isEqualTo(new Revision(0, Hash.ZERO));
    }
  }

  @Test
  @Timeout(value = 30, unit = TimeUnit.SECONDS)
  void ofViewsRacingFromOneHeadExactlyOneCommits() throws Exception {
    int threads = 4;
    try (MerkleDB db = MerkleDB.open(tmp.resolve("db"), config())) {
      for (int round = 0; round < 20; round++) {
        Revision base = db.revision();
        CyclicBarrier built = new CyclicBarrier(threads);
        ConcurrentLinkedQueue<Hash> won = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
        List<Thread> ts = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          Batch batch =
              new Batch().put(b("k" + t), b("round " + round)).put(b("shared"), b("" + t));
          ts.add(
              Thread.ofPlatform()
                  .start(
                      () -> {
                        try {
                          View v = db.newView(batch);
                          built.await();
                          db.commit(v);
                          won.add(v.root());
                        } catch (FerryException e) {
                          if (e.code() != ErrorCode.ILLEGAL_STATE) {
                            errors.add(e);
                          }
                        } catch (Throwable e) {
                          errors.add(e);
                        }
                      }));
        }
        for (Thread t : ts) {
          t.join();
        }
        assertThat(errors).isEmpty();
        assertThat(won).as("round %d", round).hasSize(1);
        assertThat(db.height()).isEqualTo(base.height() + 1);
        assertThat(db.root()).isEqualTo(won.peek());
        assertThat(db.root()).isEqualTo(Stores.rootOf(Stores.scanAll(db)));
      }
      assertThat(Optional.of(db.height())).contains(20L);
    }
  }
}
