package io.ferry.arch;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.equivalentTo;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.base.DescribedPredicate;
import com.tngtech.archunit.core.domain.JavaField;
import com.tngtech.archunit.core.domain.JavaModifier;
import com.tngtech.archunit.lang.ArchRule;
import io.ferry.core.Limits;
import io.ferry.merkledb.store.RocksStore;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The rules of docs/architecture.md that the build checks, each with the allow-list of the places
 * that may break it and why. An entry is a last resort for code outside protocol logic that sits in
 * a protocol package, or for work whose result cannot depend on its order; prefer taking the
 * injected {@code Clock}, {@code Scheduler}, {@code RandomSource} or an ordered collection. {@link
 * AllowListsTest} fails on an entry that no longer matches anything.
 */
final class FerryRules {
  private FerryRules() {}

  // ---- Deterministic protocol logic --------------------------------------------------------

  static final Check WALL_CLOCK =
      Check.accesses(
          ProtocolCode.CLASSES,
          Forbidden.WALL_CLOCK,
          List.of(
              Exemption.of(
                  "io.ferry.sim.cli.SimCommand#call",
                  "the sim command reports how long a run took on the machine, outside the run;"
                      + " the simulation itself reads only its virtual clock"),
              Exemption.of(
                  "io.ferry.sim.cli.GossipCommand#call",
                  "ferry sim gossip reports how long a run took on the machine, outside the"
                      + " run; the simulation itself reads only its virtual clock")));

  static final ArchRule PROTOCOL_CODE_READS_NO_WALL_CLOCK =
      WALL_CLOCK
          .rule()
          .because(
              "protocol code runs in virtual time in the simulator: read time from the injected"
                  + " io.ferry.core.runtime.Clock (clock.nanos(), clock.instant())");

  static final Check SLEEP = Check.accesses(ProtocolCode.CLASSES, Forbidden.SLEEP, List.of());

  static final ArchRule PROTOCOL_CODE_DOES_NOT_SLEEP =
      SLEEP
          .rule()
          .because(
              "a sleep stalls the simulator's one thread while real time passes outside its"
                  + " control: schedule what comes next with the injected"
                  + " io.ferry.core.runtime.Scheduler");

  static final Check THREADS =
      Check.accesses(
          ProtocolCode.CLASSES,
          Forbidden.THREADS,
          List.of(
              Exemption.of(
                  "io.ferry.sync.proof.ProofSyncServer#newPool",
                  "start(transport, db, config), for tests and tools, builds its own proof"
                      + " workers here; the node takes its workers from its NodeEnvironment and"
                      + " the simulator runs them inline"),
              Exemption.of(
                  "io.ferry.merkledb.BulkLoader$WriterThread",
                  "a bulk load writes the node and the value files on threads of their own while"
                      + " the caller builds the trie; load() returns only when all are done, and"
                      + " each file gets its entries in the order the caller handed them over"),
              Exemption.of(
                  "io.ferry.merkledb.BulkLoader$LeafHasher",
                  "a bulk load prepares each key's leaf (digest, id, record) on a thread ahead of"
                      + " the one-pass trie, batch by batch in submission order; the trie takes"
                      + " the batches in that order, so nothing depends on the interleaving"),
              Exemption.of(
                  "io.ferry.merkledb.MerkleDB#<init>",
                  "a commit reads the values it replaces on a thread of the store's own while it"
                      + " builds the view, from the same snapshot, and waits for them before it"
                      + " writes; the batch does not depend on the interleaving")));

  static final ArchRule PROTOCOL_CODE_STARTS_NO_THREADS =
      THREADS
          .rule()
          .because(
              "the simulator runs every node on one thread in an order its seed fixes: run work"
                  + " through the injected io.ferry.core.runtime.Scheduler, or take an Executor"
                  + " from the caller (the node's assembly owns the threads)");

  static final Check PARALLEL_WORK =
      Check.accesses(
          ProtocolCode.CLASSES,
          Forbidden.PARALLEL_WORK,
          List.of(
              // Pure data-parallel hashing and encoding: each result goes to its own slot or
              // subtree and the call returns when all are done, so nothing depends on the threads.
              Exemption.of(
                  "io.ferry.merkledb.MerkleDB#commit",
                  "encodes changed nodes and reads old values on all cores into per-index slots;"
                      + " the batch is then written in list order"),
              Exemption.of(
                  "io.ferry.merkledb.NodeHistory#record",
                  "encodes (or, for a stack of views, reads) the before-images of a commit's"
                      + " changed nodes on all cores into per-index slots; they are then staged in"
                      + " list order"),
              Exemption.of(
                  "io.ferry.merkledb.View#<init>",
                  "hashes large values on all cores into per-index slots, and reads the branches"
                      + " on each key's path into the content-addressed node cache, before the"
                      + " sequential trie edits"),
              Exemption.of(
                  "io.ferry.merkledb.trie.TrieDelta",
                  "hashes the independent subtrees of a large delta in fork-join tasks; a node's"
                      + " id depends only on its subtree")));

  static final ArchRule PROTOCOL_CODE_RUNS_NO_PARALLEL_WORK =
      PARALLEL_WORK
          .rule()
          .because(
              "work on other threads finishes in an order no seed controls: keep protocol work"
                  + " on the caller's thread, or take an Executor from the caller");

  static final Check RANDOM =
      Check.accesses(ProtocolCode.CLASSES, Forbidden.UNSEEDED_RANDOM, List.of());

  static final ArchRule PROTOCOL_CODE_DRAWS_ONLY_SEEDED_RANDOMNESS =
      RANDOM
          .rule()
          .because(
              "a failing simulation seed must replay exactly: draw from the injected"
                  + " io.ferry.core.runtime.RandomSource");

  // ---- No hash order where order can reach the wire -----------------------------------------

  static final Check HASH_ORDER =
      Check.accesses(
          ProtocolCode.CLASSES,
          Forbidden.HASH_ORDER_ITERATION,
          List.of(
              Exemption.of(
                  "io.ferry.merkledb.MerkleDB#commit",
                  "the changed nodes go into one atomic write batch keyed by path and into the"
                      + " node cache; neither the stored state nor any message follows their order"),
              Exemption.of(
                  "io.ferry.merkledb.trie.TrieDelta#forEachChange",
                  "documented as unordered; its callers collect the changes by path"),
              Exemption.of(
                  "io.ferry.merkledb.proof.ProofVerifier#reconstruct",
                  "copies the boundary paths into a list and sorts it before using them"),
              Exemption.of(
                  "io.ferry.merkledb.proof.ProofCodec#node",
                  "checks each child of a decoded proof node and copies it into a TreeMap; the"
                      + " order only decides which of several bad children an error names")));

  static final ArchRule PROTOCOL_CODE_ITERATES_NO_HASH_ORDER =
      HASH_ORDER
          .rule()
          .because(
              "hash order is not part of any protocol (it changes with the JDK, identity hash"
                  + " codes and a map's history), so messages or retries that follow it stop"
                  + " replaying: iterate a List, a SequencedMap/SequencedSet (LinkedHashMap,"
                  + " LinkedHashSet) or a SortedMap/NavigableSet (TreeMap, TreeSet) declared with"
                  + " that type, or a sorted copy");

  // ---- The simulator stays out of the product ----------------------------------------------

  /** The simulator's packages: today's, and the ferry-sim module's it is moving to. */
  static final String[] SIMULATOR = {"io.ferry.net.sim..", "io.ferry.sim.."};

  static final ArchRule MAIN_CODE_DOES_NOT_USE_THE_SIMULATOR =
      noClasses()
          .that()
          .resideOutsideOfPackages(SIMULATOR)
          .should()
          .dependOnClassesThat()
          .resideInAnyPackage(SIMULATOR)
          .because(
              "the simulator is a test harness, and a real node must have no code path that"
                  + " exists only for it: put what both need in the product module and let the"
                  + " simulator depend on it");

  // ---- One RocksDB wrapper ------------------------------------------------------------------

  static final ArchRule ONLY_THE_ROCKS_STORE_USES_ROCKSDB =
      noClasses()
          .that(not(belongToAnyOf(RocksStore.class)))
          .should()
          .dependOnClassesThat()
          .resideInAPackage("org.rocksdb..")
          .because(
              "one class opens, configures and closes RocksDB, with one place for its write"
                  + " options and fsync: io.ferry.merkledb.store.RocksStore. A store on disk is a"
                  + " KvStore user that declares its own Columns (as the MerkleDB and the proof"
                  + " sync's staging store do), so the simulator runs the same code over its own"
                  + " KvStore");

  // ---- Limits in one place ------------------------------------------------------------------

  private static final Pattern LIMIT_NAME = Pattern.compile("(\\w+_)?(MAX|LIMIT)(_\\w+)?");
  private static final Set<String> WHOLE_NUMBERS = Set.of("int", "long", "short", "byte");

  /**
   * A limit: a static final whole number named like one ({@code MAX_*}, {@code *_MAX_*}, {@code
   * *_LIMIT}). Not a setting's default ({@code DEFAULT_*}, which lives with its config record), nor
   * a generated protobuf field tag ({@code *_FIELD_NUMBER}).
   */
  static final DescribedPredicate<JavaField> LIMIT =
      DescribedPredicate.describe(
          "a limit (a static final whole number named MAX_*, *_MAX_* or *_LIMIT)",
          f ->
              f.getModifiers().containsAll(Set.of(JavaModifier.STATIC, JavaModifier.FINAL))
                  && WHOLE_NUMBERS.contains(f.getRawType().getName())
                  && LIMIT_NAME.matcher(f.getName()).matches()
                  && !f.getName().startsWith("DEFAULT_")
                  && !f.getName().endsWith("_FIELD_NUMBER"));

  static final Check LIMITS_OUTSIDE_LIMITS =
      Check.fields(
          not(equivalentTo(Limits.class)).as("are not io.ferry.core.Limits"),
          LIMIT,
          List.of(
              // Bounds on this node's own memory, files and retries: no peer sees or relies on
              // them.
              Exemption.of(
                  "io.ferry.core.identity.KeyFile#MAX_FILE_BYTES",
                  "refuses to read a local key file larger than any key file"),
              Exemption.of(
                  "io.ferry.core.log.RateLimitedLog#MAX_KEYS", "memory of the log rate limiter"),
              Exemption.of(
                  "io.ferry.gossip.head.HeadExchange#MAX_REFUSALS_LOGGED",
                  "memory of which refusals were logged"),
              Exemption.of(
                  "io.ferry.gossip.plane.GossipPlane#MAX_RATE_TRACKED_PEERS",
                  "memory of per-peer rate limiting"),
              Exemption.of(
                  "io.ferry.net.peers.PeerManager#MAX_TRACKED_PEERS", "memory of peer records"),
              Exemption.of(
                  "io.ferry.net.tcp.HandshakeSlots",
                  "how many inbound TLS handshakes this node runs at once, in all and per address"),
              Exemption.of(
                  "io.ferry.http.HttpConnection#MAX_PIPELINED",
                  "HTTP requests one connection may queue: connection policy of the snapshot"
                      + " service"),
              Exemption.of(
                  "io.ferry.merkledb.PastRevision#DERIVED_MAX_KEYS",
                  "how many keys a past revision reads to rebuild a short subtree before it calls"
                      + " the history corrupt: a bound on this store's own work"),
              Exemption.of(
                  "io.ferry.merkledb.store.RocksStore$SstWriter#MAX_FILE_BYTES",
                  "size of one SST file in a bulk load (RocksDB tuning)"),
              Exemption.of(
                  "io.ferry.node.fetch.Downloader#MAX_REDIRECTS", "HTTP client policy of fetch"),
              Exemption.of(
                  "io.ferry.sim.LinkModel#MAX_RETRANSMISSIONS",
                  "how often the simulated TCP retransmits before it resets the connection: a"
                      + " parameter of the link model, which no peer sees"),
              Exemption.of(
                  "io.ferry.snapshot.SnapshotRestorer#MAX_INCREMENTAL_BATCH_BYTES",
                  "memory a restore may spend on one commit of an incremental archive"),
              Exemption.of(
                  "io.ferry.sync.proof.client.SyncManager#MAX_STALLS",
                  "when the sync client gives up on stalled requests"),
              Exemption.of(
                  "io.ferry.sync.proof.client.SyncManager#MAX_STORE_FAILURES",
                  "when the sync client gives up on a failing store"),
              Exemption.of(
                  "io.ferry.sync.proof.client.ChangeCatchUp#MAX_PENDING_CHANGES",
                  "when a full sync is cheaper than catching up with change proofs"),
              Exemption.of(
                  "io.ferry.sync.proof.client.ChangeCatchUp#MAX_FAILURES",
                  "when the catch-up gives up on failing rounds")));

  static final ArchRule LIMITS_ARE_DECLARED_IN_LIMITS =
      LIMITS_OUTSIDE_LIMITS
          .rule()
          .because(
              "every protocol limit is named once, in io.ferry.core.Limits, where operators and"
                  + " reviewers look for it: move it there; a bound on this node's own resources"
                  + " (a cache, a log, a retry count) goes on the allow-list in"
                  + " io.ferry.arch.FerryRules with that reason, and a setting's default is named"
                  + " DEFAULT_* in its config record");

  /** Every rule with an allow-list. */
  static final List<Check> CHECKS =
      List.of(WALL_CLOCK, SLEEP, THREADS, PARALLEL_WORK, RANDOM, HASH_ORDER, LIMITS_OUTSIDE_LIMITS);
}
