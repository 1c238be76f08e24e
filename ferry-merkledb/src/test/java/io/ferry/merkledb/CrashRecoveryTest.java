package io.ferry.merkledb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.merkledb.store.Column;
import io.ferry.merkledb.store.KvStore;
import io.ferry.merkledb.store.MemoryStore;
import io.ferry.merkledb.store.SortedWriter;
import io.ferry.merkledb.store.StoreIterator;
import io.ferry.merkledb.store.StoreSnapshot;
import io.ferry.merkledb.store.WriteBatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Commits are atomic under process death: a child JVM ({@link CrashWriter}) commits deterministic
 * batches to a RocksDB MerkleDB and is killed (SIGKILL) at random instants, during JVM start, store
 * recovery, or anywhere inside a commit; after each kill the store is reopened here and must be at
 * the last reported commit or the one after it (committed, not yet reported), with contents that
 * hash to its root and equal a model replayed to that height. The same directory is reused, so
 * every child resumes from the state the previous one left.
 */
class CrashRecoveryTest {
  private static final int KILLS = 22;
  private static final long LINE_TIMEOUT_SECONDS = 60;
  private static final int ALL_KEYS = 100_000;
  private static final int BULK_KEYS = 200_000;
  private static final int BULK_KILLS = 5;

  @TempDir Path tmp;

  @Test
  void everyKillLeavesTheLastReportedCommitOrTheNextOneAndNothingElse() throws Exception {
    Path dir = tmp.resolve("db");
    Path childTmp = Files.createDirectories(tmp.resolve("child-tmp"));
    Random rnd = new Random(0xC0FFEE);
    Map<Long, Hash> modelRoots = new HashMap<>();
    modelRoots.put(0L, Hash.ZERO);
    Revision durable = new Revision(0, Hash.ZERO); // the state found after the previous kill
    int committedUnreported = 0;
    int resumed = 0;
    long reportedCommits = 0;
    try (MerkleDB model = MerkleDB.inMemory(CrashWriter.CONFIG)) {
      for (int kill = 0; kill < KILLS; kill++) {
        String what = "kill " + kill + " (store was at " + durable + ")";
        List<String> lines;
        try (Child child = new Child(dir, childTmp, tmp.resolve("stderr-" + kill + ".txt"))) {
          if (kill > 0 && rnd.nextInt(5) == 0) {
            // Anywhere from JVM start through RocksDB's recovery to the first commits.
            Thread.sleep(rnd.nextInt(1500));
          } else {
            child.next(); // OPEN
            int commits = rnd.nextInt(8);
            for (int i = 0; i < commits; i++) {
              child.next();
            }
            // Land at a random instant of the commit now running (or the report after it).
            LockSupport.parkNanos(rnd.nextLong(40_000_000L));
          }
          lines = child.killAndDrain();
        }

        // What the child reported: the state it opened at, then consecutive commits.
        Revision last = durable;
        List<Revision> reported = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i);
          Revision r = CrashWriter.parse(i == 0 ? "OPEN" : "COMMIT", line);
          if (r == null) {
            assertThat(i)
                .as("%s: unparsable line '%s' that is not the last", what, line)
                .isEqualTo(lines.size() - 1);
            continue;
          }
          if (i == 0) {
            assertThat(r)
                .as("%s: the child must reopen where the last one stopped", what)
                .isEqualTo(durable);
          } else {
            assertThat(r.height()).as("%s: commit heights", what).isEqualTo(last.height() + 1);
            reported.add(r);
          }
          last = r;
        }
        reportedCommits += reported.size();
        if (durable.height() > 0 && !reported.isEmpty()) {
          resumed++;
        }

        try (MerkleDB db = MerkleDB.open(dir, CrashWriter.CONFIG)) {
          Revision now = db.revision();
          assertThat(now.height())
              .as("%s: reopened at %s, last reported %s", what, now, last)
              .isBetween(last.height(), last.height() + 1);
          if (now.height() == last.height()) {
            assertThat(now).as("%s: reopened at the last reported height", what).isEqualTo(last);
          } else {
            committedUnreported++;
          }
          advance(model, now.height(), modelRoots);
          for (Revision r : reported) {
            assertThat(r.root())
                .as("%s: reported root at %d", what, r.height())
                .isEqualTo(modelRoots.get(r.height()));
          }
          assertThat(now.root())
              .as("%s: root vs model", what)
              .isEqualTo(modelRoots.get(now.height()));

          List<KeyValue> contents = Stores.scanAll(db);
          assertThat(Stores.rootOf(contents))
              .as("%s: the stored key-values hash to the stored root", what)
              .isEqualTo(now.root());
          Stores.assertSameContents(what, contents, Stores.scanAll(model));
          checkHistory(what, db, modelRoots);
          durable = now;
        }
      }
    }
    System.out.printf(
        "CrashRecoveryTest: %d kills, final height %d, %d commits reported, %d kills caught a"
            + " commit that was durable but not yet reported, %d restarts resumed committing%n",
        KILLS, durable.height(), reportedCommits, committedUnreported, resumed);
    assertThat(reportedCommits).as("commits reported over all children").isGreaterThan(KILLS);
    assertThat(resumed).as("children that resumed committing on a reused store").isPositive();
  }

  /**
   * A bulk load killed at any instant (streaming values into SST files, ingesting them, writing and
   * flushing nodes, writing the head) leaves, after a reopen, either an empty store or the complete
   * load, never a part of it.
   */
  @Test
  void aBulkLoadKilledAtAnyInstantLeavesAnEmptyOrACompleteStore() throws Exception {
    Revision expected;
    try (MerkleDB model = MerkleDB.inMemory(CrashWriter.CONFIG)) {
      expected = model.bulkLoad(CrashWriter.bulkData(BULK_KEYS));
    }
    Path childTmp = Files.createDirectories(tmp.resolve("child-tmp"));
    Random rnd = new Random(0xB01C);
    long loadNanos = 0;
    int empty = 0;
    int complete = 0;
    for (int run = 0; run <= BULK_KILLS; run++) {
      String what = "bulk load run " + run;
      Path dir = tmp.resolve("bulk-" + run);
      List<String> lines;
      try (Child child =
          new Child(
              dir,
              childTmp,
              tmp.resolve("bulk-stderr-" + run + ".txt"),
              "bulk",
              String.valueOf(BULK_KEYS))) {
        child.next(); // OPEN
        long start = System.nanoTime();
        if (run == 0) {
          // the first one completes, to time the load
          assertThat(CrashWriter.parse("LOADED", child.next())).isEqualTo(expected);
          loadNanos = System.nanoTime() - start;
        } else {
          LockSupport.parkNanos((long) (rnd.nextDouble() * loadNanos * 1.1));
        }
        lines = child.killAndDrain();
      }
      boolean reported = lines.stream().anyMatch(l -> CrashWriter.parse("LOADED", l) != null);
      try (MerkleDB db = MerkleDB.open(dir, CrashWriter.CONFIG)) {
        if (db.height() == 0) {
          empty++;
          assertThat(reported).as("%s: reported loaded, reopened empty", what).isFalse();
          assertThat(db.root()).isEqualTo(Hash.ZERO);
          assertThat(Stores.scanAll(db)).as("%s: reopened empty", what).isEmpty();
          db.commit(new Batch().put(CrashWriter.bulkEntry(5).key(), Bytes.fromHex("00")));
          assertThat(Stores.rootOf(Stores.scanAll(db))).isEqualTo(db.root());
        } else {
          complete++;
          assertThat(db.revision()).as(what).isEqualTo(expected);
          List<KeyValue> all = Stores.scanAll(db);
          assertThat(all).as(what).hasSize(BULK_KEYS);
          for (int i : new int[] {0, 1, BULK_KEYS / 2, BULK_KEYS - 1}) {
            KeyValue kv = CrashWriter.bulkEntry(i);
            assertThat(all.get(i)).isEqualTo(kv);
            ProofVerifier.verifyProof(db.proof(kv.key()), db.root(), db.branchFactor());
          }
        }
      }
    }
    System.out.printf(
        "CrashRecoveryTest: bulk load of %d keys took %d ms; %d kills left it empty, %d complete%n",
        BULK_KEYS, loadNanos / 1_000_000, empty, complete);
  }

  /**
   * A bulk load cut off after its values and nodes are in the store but before its head is (the
   * last step, as if the process died there) must leave the store empty, as its contract says: not
   * with values that no root covers.
   */
  @Test
  void aBulkLoadCutOffBeforeItsHeadLeavesAnEmptyStore() {
    MemoryStore disk = new MemoryStore();
    List<KeyValue> kvs = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      kvs.add(
          new KeyValue(
              Bytes.wrap(new byte[] {(byte) (i >> 8), (byte) i}),
              Bytes.of(new byte[] {1, (byte) i})));
    }
    try (MerkleDB db = MerkleDB.open(new DiesBeforeTheHead(disk), CrashWriter.CONFIG)) {
      assertThatThrownBy(() -> db.bulkLoad(kvs.iterator()))
          .isInstanceOf(FerryException.class)
          .hasMessageContaining("simulated crash");
      assertThat(db.revision()).isEqualTo(new Revision(0, Hash.ZERO));
    }
    // reopened after the "crash"
    try (MerkleDB db = MerkleDB.open(disk, CrashWriter.CONFIG)) {
      assertThat(db.revision()).isEqualTo(new Revision(0, Hash.ZERO));
      assertThat(db.get(kvs.get(7).key())).as("a value of the failed load").isEmpty();
      assertThat(Stores.scanAll(db)).isEmpty();
      // the store works as a new one: a commit covers exactly its contents
      db.commit(new Batch().put(kvs.get(3).key(), Bytes.fromHex("ff")));
      assertThat(Stores.scanAll(db)).hasSize(1);
      assertThat(Stores.rootOf(Stores.scanAll(db))).isEqualTo(db.root());
    }
    // and so does a bulk load on it, started afresh
    MemoryStore again = new MemoryStore();
    try (MerkleDB db = MerkleDB.open(new DiesBeforeTheHead(again), CrashWriter.CONFIG)) {
      assertThatThrownBy(() -> db.bulkLoad(kvs.iterator())).isInstanceOf(FerryException.class);
    }
    try (MerkleDB db = MerkleDB.open(again, CrashWriter.CONFIG)) {
      db.bulkLoad(kvs.subList(100, 200).iterator());
      Stores.assertSameContents("reloaded", Stores.scanAll(db), kvs.subList(100, 200));
      assertThat(db.root()).isEqualTo(Stores.rootOf(kvs.subList(100, 200)));
    }
  }

  /** A store whose process "dies" at the first logged write after a bulk ingestion. */
  private static final class DiesBeforeTheHead implements KvStore {
    private final MemoryStore disk;
    private boolean ingested;

    DiesBeforeTheHead(MemoryStore disk) {
      this.disk = disk;
    }

    @Override
    public byte[] get(Column column, byte[] key) {
      return disk.get(column, key);
    }

    @Override
    public StoreIterator scan(Column column, byte[] from, byte[] to) {
      return disk.scan(column, from, to);
    }

    @Override
    public StoreSnapshot snapshot() {
      return disk.snapshot();
    }

    @Override
    public void write(WriteBatch batch) {
      if (ingested) {
        throw new FerryException(ErrorCode.IO_ERROR, "simulated crash");
      }
      disk.write(batch);
    }

    @Override
    public boolean syncWrites() {
      return disk.syncWrites();
    }

    @Override
    public long estimateKeys(Column column) {
      return disk.estimateKeys(column);
    }

    @Override
    public void truncate(Column column) {
      disk.truncate(column);
    }

    @Override
    public SortedWriter sortedWriter(Column column) {
      SortedWriter inner = disk.sortedWriter(column);
      return new SortedWriter() {
        @Override
        public void put(byte[] key, byte[] value) {
          inner.put(key, value);
        }

        @Override
        public void commit() {
          inner.commit();
          ingested = true;
        }

        @Override
        public void close() {
          inner.close();
        }
      };
    }

    @Override
    public void close() {}
  }

  /** Advances the in-memory model to {@code height}, recording each root. */
  private static void advance(MerkleDB model, long height, Map<Long, Hash> roots) {
    while (model.height() < height) {
      Revision r = model.commit(CrashWriter.batch(model.height() + 1));
      roots.put(r.height(), r.root());
    }
  }

  /**
   * The retained history survived too: every retained root is the model's at that height, its first
   * page provable from the node history, and the oldest retained revision is provable whole and
   * changes to the head.
   */
  private static void checkHistory(String what, MerkleDB db, Map<Long, Hash> modelRoots) {
    List<Revision> revs = db.revisions();
    assertThat(revs.getLast())
        .as("%s: the last revision is the head", what)
        .isEqualTo(db.revision());
    assertThat(revs.size())
        .as("%s: retained revisions", what)
        .isBetween(
            (int) Math.min(db.height(), CrashWriter.CONFIG.historyLength()),
            CrashWriter.CONFIG.historyLength());
    for (Revision r : revs) {
      assertThat(r.root())
          .as("%s: retained root at %d", what, r.height())
          .isEqualTo(modelRoots.get(r.height()));
      // Every retained revision's nodes are readable: the node history landed with its commits.
      RangeProof page = db.rangeProof(r.root(), KeyRange.ALL, 64, Limits.MAX_PROOF_BYTES);
      ProofVerifier.verifyRangeProof(
          page, KeyRange.ALL, 64, r.root(), CrashWriter.CONFIG.branchFactor());
    }
    Revision oldest = revs.stream().filter(r -> r.height() > 0).findFirst().orElse(null);
    if (oldest == null || oldest.equals(db.revision())) {
      return;
    }
    RangeProof full = db.rangeProof(oldest.root(), KeyRange.ALL, ALL_KEYS, Limits.MAX_PROOF_BYTES);
    ProofVerifier.verifyRangeProof(
        full, KeyRange.ALL, ALL_KEYS, oldest.root(), CrashWriter.CONFIG.branchFactor());
    try (MerkleDB local = MerkleDB.inMemory(CrashWriter.CONFIG)) {
      local.commit(Batch.of(full.keyValues()));
      assertThat(local.root()).as("%s: contents at %s", what, oldest).isEqualTo(oldest.root());
      ChangeProof cp =
          db.changeProof(oldest.root(), db.root(), KeyRange.ALL, ALL_KEYS, Limits.MAX_PROOF_BYTES);
      try (StateSnapshot base = local.snapshot()) {
        local.commit(ProofVerifier.verifyChangeProof(cp, KeyRange.ALL, ALL_KEYS, db.root(), base));
      }
      assertThat(local.root()).as("%s: change proof to the head", what).isEqualTo(db.root());
    }
  }

  /** A running {@link CrashWriter}, its output read line by line on a thread of its own. */
  private static final class Child implements AutoCloseable {
    private static final String EOF = new String("<eof>");

    private final Process process;
    private final Path stderr;
    private final BlockingQueue<String> queue = new LinkedBlockingQueue<>();
    private final List<String> lines = new ArrayList<>();
    private final Thread reader;
    private boolean ended;

    Child(Path dir, Path childTmp, Path stderr, String... args) throws IOException {
      this.stderr = stderr;
      List<String> cmd =
          new ArrayList<>(
              List.of(
                  ProcessHandle.current().info().command().orElseThrow(),
                  "--enable-native-access=ALL-UNNAMED",
                  "-XX:+UseSerialGC",
                  "-Xmx256m",
                  // RocksDB unpacks its native library into the temp dir; a killed JVM leaves it.
                  "-Djava.io.tmpdir=" + childTmp,
                  "-cp",
                  System.getProperty("java.class.path"),
                  CrashWriter.class.getName(),
                  dir.toString()));
      cmd.addAll(List.of(args));
      process = new ProcessBuilder(cmd).redirectError(stderr.toFile()).start();
      reader =
          Thread.ofPlatform()
              .daemon()
              .name("crash-writer-stdout")
              .start(
                  () -> {
                    try (BufferedReader r = process.inputReader()) {
                      String line;
                      while ((line = r.readLine()) != null) {
                        queue.add(line);
                      }
                    } catch (IOException ignored) {
                      // the stream ends with the process
                    } finally {
                      queue.add(EOF);
                    }
                  });
    }

    /** Waits for the next line; fails the test if the child died or went quiet. */
    String next() throws InterruptedException, IOException {
      String line = ended ? EOF : queue.poll(LINE_TIMEOUT_SECONDS, TimeUnit.SECONDS);
      if (line == null || line == EOF) {
        fail(
            "the writer %s; stderr:%n%s",
            line == null ? "reported nothing for " + LINE_TIMEOUT_SECONDS + " s" : "exited",
            Files.readString(stderr));
      }
      lines.add(line);
      return line;
    }

    /** Kills the child and returns every line it printed. */
    List<String> killAndDrain() throws InterruptedException {
      // Through the handle: Process.destroyForcibly also closes our end of the child's stdout,
      // dropping the lines the reader had not read yet (the store then looked ahead of them).
      process.toHandle().destroyForcibly();
      assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("the writer died").isTrue();
      reader.join(TimeUnit.SECONDS.toMillis(30));
      String line;
      while (!ended && (line = queue.poll(30, TimeUnit.SECONDS)) != null) {
        if (line == EOF) {
          ended = true;
        } else {
          lines.add(line);
        }
      }
      assertThat(ended).as("the writer's output ended").isTrue();
      return lines;
    }

    @Override
    public void close() {
      process.destroyForcibly();
      try {
        process.waitFor(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
