package io.ferry.node.cli;

import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.Limits;
import io.ferry.core.identity.KeyFile;
import io.ferry.core.identity.NodeKey;
import io.ferry.merkledb.Batch;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.MerkleDB;
import io.ferry.merkledb.MerkleDBConfig;
import io.ferry.merkledb.StateSnapshot;
import io.ferry.merkledb.View;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ferry demo}: the end-to-end demonstration, which grows with each step. Now: two nodes with
 * signed identities; node A holds a state on RocksDB and commits to it; node B, starting empty,
 * copies A's state with range proofs verified against A's root, catches up with a change proof as A
 * moves on, and rejects what a lying peer sends. (Over the network from step 4.)
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    description = "Run the end-to-end demo on this machine and print what happened.")
final class DemoCommand implements Callable<Integer> {
  @Spec CommandSpec spec;

  @Option(
      names = "--data",
      paramLabel = "DIR",
      description = "Work directory (default: a new temporary one).")
  Path data;

  @Option(
      names = "--keys",
      paramLabel = "N",
      defaultValue = "50000",
      description = "Keys in node A's state (default ${DEFAULT-VALUE}).")
  int keys;

  private PrintWriter out;
  private boolean allHeld = true;

  @Override
  public Integer call() throws Exception {
    out = spec.commandLine().getOut();
    if (keys < 1000) {
      throw new io.ferry.core.FerryException(
          io.ferry.core.ErrorCode.INVALID_ARGUMENT, "--keys must be at least 1000");
    }
    Path dir =
        data != null ? Files.createDirectories(data) : Files.createTempDirectory("ferry-demo");
    out.println("ferry demo in " + dir);

    out.println("1. identities");
    NodeKey alice = KeyFile.loadOrCreate(dir.resolve("a/node.key"));
    NodeKey bob = KeyFile.loadOrCreate(dir.resolve("b/node.key"));
    out.println("   node A " + alice.id() + ", node B " + bob.id());
    byte[] note = "ferry demo".getBytes(StandardCharsets.UTF_8);
    byte[] sig = alice.sign(note);
    check("A's signature verifies under A's id", alice.id().verify(note, sig));
    check("and not under B's id", !bob.id().verify(note, sig));

    MerkleDBConfig config = MerkleDBConfig.defaults();
    Path run = freshRunDir(dir);
    try (MerkleDB a = MerkleDB.open(run.resolve("a-state"), config);
        MerkleDB b = MerkleDB.open(run.resolve("b-state"), config)) {
      out.println("2. node A builds its state");
      long t0 = System.nanoTime();
      a.bulkLoad(generated(keys).iterator());
      Hash r1 = a.root();
      out.printf(
          "   %d keys bulk-loaded in %d ms, height %d, root %s%n", keys, ms(t0), a.height(), r1);
      t0 = System.nanoTime();
      Batch changes = changes(a, 1000);
      a.commit(changes);
      Hash r2 = a.root();
      out.printf(
          "   committed %d changes in %d ms, height %d, root %s%n",
          changes.size(), ms(t0), a.height(), r2);

      out.println("3. node B copies A's state at the first root with verified range proofs");
      t0 = System.nanoTime();
      int proofs = copyWithRangeProofs(a, b, r1);
      out.printf("   %d range proofs, %d ms; B's root %s%n", proofs, ms(t0), b.root());
      check("B's root equals A's first root", b.root().equals(r1));

      out.println("4. B catches up to A's new root with one change proof");
      t0 = System.nanoTime();
      ChangeProof cp =
          a.changeProof(r1, r2, KeyRange.ALL, Limits.MAX_PROOF_KEY_LIMIT, Limits.MAX_PROOF_BYTES);
      try (StateSnapshot local = b.snapshot()) {
        View applied =
            ProofVerifier.verifyChangeProof(
                cp, KeyRange.ALL, Limits.MAX_PROOF_KEY_LIMIT, r2, local);
        b.commit(applied);
      }
      out.printf(
          "   %d key changes, %d ms; B's root %s%n", cp.keyChanges().size(), ms(t0), b.root());
      check("B's root equals A's new root", b.root().equals(r2));

      out.println("5. a lying peer");
      KeyRange range = KeyRange.ALL;
      RangeProof honest = a.rangeProof(r2, range, 64, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      List<KeyValue> kvs = new ArrayList<>(honest.keyValues());
      kvs.set(10, new KeyValue(kvs.get(10).key(), Bytes.fromHex("badbad")));
      rejected(
          "a tampered value",
          new RangeProof(honest.startProof(), honest.endProof(), kvs),
          range,
          r2,
          a);
      kvs = new ArrayList<>(honest.keyValues());
      kvs.remove(20);
      rejected(
          "a silently dropped key",
          new RangeProof(honest.startProof(), honest.endProof(), kvs),
          range,
          r2,
          a);
      rejected("an honest proof checked against another root", honest, range, r1, a);
    }
    out.println(allHeld ? "demo: every check held" : "demo: A CHECK FAILED");
    return allHeld ? ExitCodes.OK : ExitCodes.VERIFICATION_FAILED;
  }

  /** A new directory for this run's stores, so reruns never mix with earlier state. */
  private static Path freshRunDir(Path dir) throws java.io.IOException {
    for (int i = 1; ; i++) {
      Path p = dir.resolve("run-" + i);
      if (!Files.exists(p)) {
        return Files.createDirectories(p);
      }
    }
  }

  private static long ms(long startNanos) {
    return (System.nanoTime() - startNanos) / 1_000_000;
  }

  private void check(String what, boolean held) {
    out.println("   " + (held ? "ok   " : "FAIL ") + what);
    allHeld &= held;
  }

  private void rejected(String what, RangeProof proof, KeyRange range, Hash root, MerkleDB db) {
    try {
      ProofVerifier.verifyRangeProof(proof, range, 64, root, db.branchFactor());
      check(what + " is rejected", false);
    } catch (FerryException e) {
      check(what + " is rejected: " + e.getMessage(), true);
    }
  }

  private static List<KeyValue> generated(int n) {
    byte[][] keys = StateGenerateCommand.sortedKeys(n, 42);
    SplittableRandom r = new SplittableRandom(43);
    List<KeyValue> out = new ArrayList<>(keys.length);
    for (byte[] k : keys) {
      byte[] v = new byte[32];
      r.nextBytes(v);
      out.add(new KeyValue(Bytes.wrap(k), Bytes.wrap(v)));
    }
    return out;
  }

  /** Updates, inserts and deletes: a third each. */
  private static Batch changes(MerkleDB db, int n) {
    SplittableRandom r = new SplittableRandom(44);
    List<KeyValue> existing = new ArrayList<>();
    db.scan(KeyRange.ALL, kv -> existing.add(kv) && existing.size() < 3 * n);
    Batch b = new Batch();
    for (int i = 0; i < n; i++) {
      byte[] v = new byte[32];
      r.nextBytes(v);
      switch (i % 3) {
        case 0 -> b.put(existing.get(i).key(), Bytes.wrap(v));
        case 1 -> b.delete(existing.get(i).key());
        default -> {
          byte[] k = new byte[32];
          r.nextBytes(k);
          b.put(Bytes.wrap(k), Bytes.wrap(v));
        }
      }
    }
    return b;
  }

  /** Pulls every key-value of {@code root} from {@code from} into {@code to}, proof by proof. */
  private static int copyWithRangeProofs(MerkleDB from, MerkleDB to, Hash root) {
    Optional<Bytes> start = Optional.empty();
    int proofs = 0;
    while (true) {
      KeyRange range = new KeyRange(start, Optional.empty());
      RangeProof p =
          from.rangeProof(
              root, range, Limits.DEFAULT_PROOF_KEY_LIMIT, Limits.DEFAULT_PROOF_BYTE_LIMIT);
      ProofVerifier.verifyRangeProof(
          p, range, Limits.DEFAULT_PROOF_KEY_LIMIT, root, from.branchFactor());
      proofs++;
      if (p.keyValues().isEmpty()) { // a short answer may be a byte-limit cut: ask until none
        return proofs;
      }
      to.commit(Batch.of(p.keyValues()));
      byte[] last = p.keyValues().get(p.keyValues().size() - 1).key().toByteArray();
      start = Optional.of(Bytes.wrap(Arrays.copyOf(last, last.length + 1)));
    }
  }
}
