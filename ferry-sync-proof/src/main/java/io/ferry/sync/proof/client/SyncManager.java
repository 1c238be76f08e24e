package io.ferry.sync.proof.client;

import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.KeyRange;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.merkledb.DigestedKeyValue;
import io.ferry.merkledb.KeyChange;
import io.ferry.merkledb.KeyValue;
import io.ferry.merkledb.SortedTrie;
import io.ferry.merkledb.TrieReader;
import io.ferry.merkledb.proof.ChangeProof;
import io.ferry.merkledb.proof.ProofException;
import io.ferry.merkledb.proof.ProofVerifier;
import io.ferry.merkledb.proof.RangeProof;
import io.ferry.net.Transport;
import io.ferry.net.TransportException;
import io.ferry.net.peers.Offence;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Syncs a store to a target root from peers, the AvalancheGo x/sync way: key ranges are fetched as
 * range proofs at the target root from several servers in parallel, every proof is verified before
 * anything is written, and when the target moves, ranges already done are brought up to date with
 * change proofs. When every range is at the target, the staged key-values are bulk-loaded into the
 * store and its root must equal the target.
 *
 * <p>Work is a queue of key ranges by priority (retry, high, medium, low); at most {@link
 * SyncConfig#workLimit} requests are in flight, and at most {@link SyncConfig#perServerLimit} to
 * one server (fewer once a server has refused one as busy: that refusal is not a failure, the range
 * waits for a free slot). A partial answer continues from the key after the last one proved, and
 * the remainder is split in two while there is spare capacity, so its halves go to different
 * servers. A proof that does not verify costs its server {@link Offence#INVALID_PROOF} (two bans
 * it) and the range goes to another server; other failures retry with backoff. An answer larger
 * than the byte limit asked for is a lie too. Progress (target and completed ranges) is stored
 * atomically with the data in the {@link SyncStore}, so a restarted sync resumes without fetching
 * finished ranges again.
 *
 * <p>No work is lost: whatever handling an answer throws (a failing store write included) puts its
 * range back in the queue, and a request whose answer is not handled within its timeout plus {@link
 * #STALL_GRACE} is given up and its range asked elsewhere. The sync fails with a typed error,
 * rather than hanging, when the store fails {@link #MAX_STORE_FAILURES} times in a row or {@link
 * #MAX_STALLS} requests in a row stall.
 *
 * <p>Deterministic: all state lives on the injected {@link Scheduler}'s thread (answers from the
 * transport hop onto it), choices use the injected {@link RandomSource}, so the simulator can run
 * it. The public methods are thread-safe.
 */
public final class SyncManager implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SyncManager.class);
  private static final Duration NO_SERVER_WAIT = Duration.ofMillis(200);

  /** How long past its request timeout an answer may take to be handled before it is given up. */
  public static final Duration STALL_GRACE = Duration.ofSeconds(10);

  /** Requests in a row given up as stalled (none applied between) before the sync fails. */
  public static final int MAX_STALLS = 16;

  /** Store failures in a row (no write succeeding between) before the sync fails. */
  public static final int MAX_STORE_FAILURES = 3;

  /** Answers a server gives without a busy refusal before one more request may go to it at once. */
  static final int ANSWERS_PER_EXTRA_SLOT = 32;

  /** Builds the final store from the staged key-values in key order; returns its root. */
  @FunctionalInterface
  public interface Loader {
    Hash load(Iterator<KeyValue> sorted);

    /**
     * Like {@link #load}, with each value's digest as verification computed it; the default drops
     * them. The root returned is checked against the target all the same.
     */
    default Hash loadDigested(Iterator<DigestedKeyValue> sorted) {
      return load(
          new Iterator<>() {
            @Override
            public boolean hasNext() {
              return sorted.hasNext();
            }

            @Override
            public KeyValue next() {
              return sorted.next().keyValue();
            }
          });
    }
  }

  /**
   * A request on its way: what it asks, of whom, at which root; how many others that server had
   * from us when it was sent; its answer and its watchdog.
   */
  private record InFlight(
      WorkItem item,
      NodeId server,
      Hash root,
      int alongside,
      CompletableFuture<?> answer,
      Cancellable watchdog) {}

  private final SyncConfig config;
  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final SyncStore store;
  private final Loader loader;
  private final Predicate<NodeId> serverFilter;
  private final ProofClient client;
  private final java.util.concurrent.Executor verifier;
  private final CompletableFuture<Hash> done = new CompletableFuture<>();

  // State below is touched only on the scheduler's thread (target is also read by target()).
  private volatile Hash target;
  private final WorkQueue queue = new WorkQueue();
  private CompletedRanges completed = new CompletedRanges();
  private final SortedMap<Long, InFlight> inFlight = new TreeMap<>();
  // Failed items waiting out their backoff, in order of failure: still part of the progress.
  private final SortedMap<Long, WorkItem> backingOff = new TreeMap<>();
  private long nextBackoff;
  private final Map<NodeId, Integer> load = new TreeMap<>();
  // Requests a server takes at once, learned from its busy refusals; absent: perServerLimit.
  private final Map<NodeId, Integer> admits = new TreeMap<>();
  private final Map<NodeId, Integer> answersSinceBusy = new TreeMap<>();
  // Servers that said they do not hold the target root (yet): a lagging follower, or one whose
  // history skipped that height. Not asked again for it until the target moves or every server
  // lacks it; not a failure of theirs.
  private final java.util.Set<NodeId> lackTarget = new java.util.TreeSet<>();
  private boolean waitingForTarget;
  private long nextRequest;
  private boolean started;
  private boolean closed;
  private boolean waitingForServers;
  private long keys;
  private long bytes;
  private long proofs;
  private long failures;
  private long lies;
  private int stallsInARow;
  private int storeFailuresInARow;
  private int targetUpdates;
  private long startNanos;
  private long fetchNanos;
  private long loadNanos;
  private volatile SyncStats stats = new SyncStats(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);

  /**
   * @param serverFilter which connected peers to ask (for example only configured servers)
   */
  public SyncManager(
      SyncConfig config,
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      SyncStore store,
      Loader loader,
      Predicate<NodeId> serverFilter) {
    this(config, transport, scheduler, random, store, loader, serverFilter, Runnable::run);
  }

  /**
   * @param verifier where range proofs are verified before their result goes back to the
   *     scheduler's thread: a pool spreads the hashing over cores; the simulator passes a direct
   *     executor. Change proofs are verified on the scheduler's thread, since they read the staged
   *     data.
   */
  public SyncManager(
      SyncConfig config,
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      SyncStore store,
      Loader loader,
      Predicate<NodeId> serverFilter,
      java.util.concurrent.Executor verifier) {
    this.verifier = verifier;
    this.config = config;
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.store = store;
    this.loader = loader;
    this.serverFilter = serverFilter;
    this.client = new ProofClient(transport, config.branchFactor(), config.requestTimeout());
    // A server that connects gets work at once rather than at the next idle poll. The listener
    // goes when the sync ends, so a node that syncs many times does not collect them.
    transport.addListener(connections);
    done.whenComplete((root, error) -> transport.removeListener(connections));
  }

  private final io.ferry.net.PeerListener connections =
      new io.ferry.net.PeerListener() {
        @Override
        public void onConnected(NodeId peer, boolean outbound) {
          if (serverFilter.test(peer)) {
            scheduler.execute(SyncManager.this::pumpIfStarted);
          }
        }
      };

  private void pumpIfStarted() {
    if (started) {
      pump();
    }
  }

  /**
   * Starts syncing to {@code root}, resuming stored progress. Completes with the root once the
   * store holds it; fails with {@link FerryException} if the finished store's root differs or the
   * sync is closed first.
   */
  public CompletableFuture<Hash> start(Hash root) {
    if (root.isZero()) {
      throw new FerryException(ErrorCode.INVALID_ARGUMENT, "cannot sync to the empty root");
    }
    scheduler.execute(
        () -> {
          try {
            begin(root);
          } catch (RuntimeException e) {
            done.completeExceptionally(e); // the stored progress cannot be read
          }
        });
    return done;
  }

  /** Moves the target: ranges already done are re-fetched as change proofs to the new root. */
  public void updateTarget(Hash root) {
    scheduler.execute(() -> retarget(root));
  }

  /** The future {@link #start} returned. */
  public CompletableFuture<Hash> done() {
    return done;
  }

  /** The failure that ended the sync, if it failed. */
  public Optional<Throwable> error() {
    if (!done.isCompletedExceptionally()) {
      return Optional.empty();
    }
    try {
      done.join();
      return Optional.empty();
    } catch (java.util.concurrent.CompletionException e) {
      return Optional.of(e.getCause());
    } catch (java.util.concurrent.CancellationException e) {
      return Optional.of(e);
    }
  }

  public SyncStats stats() {
    return stats;
  }

  /**
   * The root the sync is heading for now, once started. A {@link Loader} runs on the scheduler's
   * thread, so there it reads the root the staged data is at.
   */
  public Optional<Hash> target() {
    return Optional.ofNullable(target);
  }

  /** Stops the sync; what is stored stays, so a new manager resumes from it. */
  @Override
  public void close() {
    scheduler.execute(
        () -> {
          closed = true;
          done.completeExceptionally(new FerryException(ErrorCode.ILLEGAL_STATE, "sync closed"));
        });
  }

  // ------------------------------------------------------------------ state machine

  private void begin(Hash root) {
    if (started || closed) {
      return;
    }
    started = true;
    startNanos = scheduler.clock().nanos();
    target = root;
    Optional<Hash> storedTarget = store.target();
    List<CompletedRange> stored = store.progress();
    for (CompletedRange c : stored) {
      if (c.root().equals(root)) {
        completed.add(c);
      } else {
        queue.add(
            new WorkItem(c.range(), Priority.HIGH, Optional.of(c.root()), 0, Optional.empty()));
      }
    }
    CompletedRanges known = new CompletedRanges();
    stored.forEach(known::add);
    List<KeyRange> gaps = known.gaps();
    int per = Math.max(1, config.workLimit() / Math.max(1, gaps.size()));
    for (KeyRange gap : gaps) {
      for (KeyRange part : Keys.split(gap, per)) {
        queue.add(WorkItem.fresh(part, Priority.MEDIUM));
      }
    }
    log.info(
        "proof sync to {}: {} ({} ranges done, {} to fetch)",
        root,
        storedTarget.isPresent() ? "resuming" : "starting",
        stored.size(),
        queue.size());
    persistProgress();
    pump();
  }

  private void retarget(Hash root) {
    if (!started || closed || done.isDone() || root.equals(target)) {
      return;
    }
    log.info("proof sync target moves from {} to {}", target, root);
    target = root;
    targetUpdates++;
    lackTarget.clear();
    for (CompletedRange c : completed.list()) {
      queue.add(new WorkItem(c.range(), Priority.HIGH, Optional.of(c.root()), 0, Optional.empty()));
    }
    completed.clear();
    // If this write fails, the next proof written stores the whole progress anyway.
    persistProgress();
    publish();
    pump();
  }

  private void pump() {
    if (closed || done.isDone()) {
      return;
    }
    while (inFlight.size() < config.workLimit() && !queue.isEmpty()) {
      List<NodeId> servers = servers();
      if (servers.isEmpty()) {
        if (!waitingForServers) {
          waitingForServers = true;
          log.info("proof sync: no server connected; waiting");
          scheduler.schedule(
              NO_SERVER_WAIT,
              () -> {
                waitingForServers = false;
                pump();
              });
        }
        break;
      }
      List<NodeId> holding = new ArrayList<>(servers);
      holding.removeAll(lackTarget);
      if (holding.isEmpty()) {
        waitForTarget();
        break;
      }
      List<NodeId> open = withRoom(holding);
      if (open.isEmpty()) {
        break; // every server has as many as it takes; the next answer frees a slot
      }
      WorkItem item = queue.poll();
      if (item.localRoot().isPresent() && item.localRoot().get().equals(target)) {
        completed.add(new CompletedRange(item.range(), target)); // already at the target
        continue;
      }
      dispatch(item, choose(open, item));
    }
    publish();
    if (queue.isEmpty() && inFlight.isEmpty()) {
      finish();
    }
  }

  /**
   * Every connected server said it lacks the target: they are behind it. Asks them all again after
   * the backoff's first delay, by when the head has usually reached them.
   */
  private void waitForTarget() {
    if (waitingForTarget) {
      return;
    }
    waitingForTarget = true;
    log.debug("proof sync: no server holds {} yet; waiting", target);
    scheduler.schedule(
        config.backoff().base(),
        () -> {
          waitingForTarget = false;
          lackTarget.clear();
          pump();
        });
  }

  private List<NodeId> servers() {
    List<NodeId> out = new ArrayList<>();
    for (NodeId p : transport.peers()) {
      if (serverFilter.test(p)) {
        out.add(p);
      }
    }
    return out;
  }

  /** The servers with fewer requests in flight than they take at once. */
  private List<NodeId> withRoom(List<NodeId> servers) {
    List<NodeId> out = new ArrayList<>(servers.size());
    for (NodeId s : servers) {
      if (load.getOrDefault(s, 0) < admits.getOrDefault(s, config.perServerLimit())) {
        out.add(s);
      }
    }
    return out;
  }

  /** The least-loaded server, avoiding the one that last failed this item when there is another. */
  private NodeId choose(List<NodeId> servers, WorkItem item) {
    List<NodeId> pool = servers;
    if (item.avoid().isPresent() && servers.size() > 1) {
      pool = new ArrayList<>(servers);
      pool.remove(item.avoid().get());
    }
    int best = Integer.MAX_VALUE;
    List<NodeId> least = new ArrayList<>();
    for (NodeId s : pool) {
      int l = load.getOrDefault(s, 0);
      if (l < best) {
        best = l;
        least.clear();
      }
      if (l == best) {
        least.add(s);
      }
    }
    return least.get(random.nextInt(least.size()));
  }

  private void dispatch(WorkItem item, NodeId server) {
    long id = nextRequest++;
    Hash root = target;
    CompletableFuture<?> answer;
    try {
      if (item.localRoot().isEmpty()) {
        answer =
            client
                .rangeProof(server, root, item.range(), config.keyLimit(), config.byteLimit())
                .whenComplete((p, e) -> verifyThenReport(id, item, root, p, e));
      } else {
        answer =
            client
                .changeProof(
                    server,
                    item.localRoot().get(),
                    root,
                    item.range(),
                    config.keyLimit(),
                    config.byteLimit())
                .whenComplete((a, e) -> scheduler.execute(() -> onChangeAnswer(id, a, e)));
      }
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
      scheduler.execute(() -> onRangeProof(id, null, null, e, null));
    }
    Duration deadline = config.requestTimeout().plus(STALL_GRACE);
    Cancellable watchdog = scheduler.schedule(deadline, () -> stalled(id));
    int alongside = load.getOrDefault(server, 0);
    inFlight.put(id, new InFlight(item, server, root, alongside, answer, watchdog));
    load.merge(server, 1, Integer::sum);
  }

  private InFlight complete(long id) {
    InFlight f = inFlight.remove(id);
    if (f != null) {
      f.watchdog().cancel();
      load.merge(f.server(), -1, Integer::sum);
    }
    return f;
  }

  /**
   * The watchdog: the answer to request {@code id} was not handled in time (lost, or stuck in
   * verification). Its range goes to another server; the answer, if it ever comes, is ignored.
   */
  private void stalled(long id) {
    InFlight f = complete(id);
    if (f == null || closed || done.isDone()) {
      return;
    }
    f.answer().cancel(true);
    failures++;
    stallsInARow++;
    log.warn(
        "proof request to {} for {} stalled: no answer handled in {} s; asking elsewhere",
        f.server().shortString(),
        f.item().range(),
        config.requestTimeout().plus(STALL_GRACE).toSeconds());
    if (stallsInARow >= MAX_STALLS) {
      done.completeExceptionally(
          new FerryException(
              ErrorCode.TIMEOUT,
              stallsInARow + " proof requests in a row stalled; the sync makes no progress"));
      return;
    }
    queue.add(f.item().retry(f.server()));
    pump();
  }

  /** Verifies a range proof on the verifier, then hands the outcome to the scheduler's thread. */
  private void verifyThenReport(
      long id, WorkItem item, Hash root, RangeProof proof, Throwable error) {
    if (error != null) {
      scheduler.execute(() -> onRangeProof(id, null, null, error, null));
      return;
    }
    try {
      verifier.execute(
          () -> {
            SortedTrie[] verified = new SortedTrie[1];
            ProofException lie =
                ProofChecks.lie(
                    () ->
                        verified[0] =
                            ProofVerifier.verifyRangeProof(
                                proof,
                                item.range(),
                                config.keyLimit(),
                                root,
                                config.branchFactor()));
            scheduler.execute(() -> onRangeProof(id, proof, verified[0], null, lie));
          });
    } catch (RuntimeException e) {
      // The verifier would not take it (shut down): not the server's fault, retry later.
      scheduler.execute(() -> onRangeProof(id, null, null, e, null));
    }
  }

  private void onRangeProof(
      long id, RangeProof proof, SortedTrie verified, Throwable error, ProofException lie) {
    InFlight f = complete(id);
    if (f == null || closed || done.isDone()) {
      return;
    }
    try {
      if (error != null) {
        failed(f, error);
      } else if (lie != null) {
        lied(f, lie);
      } else {
        applyRange(f, proof, verified);
      }
    } catch (RuntimeException e) {
      localFailure(f, e);
    }
    pump();
  }

  private void onChangeAnswer(long id, ProofClient.ChangeAnswer answer, Throwable error) {
    InFlight f = complete(id);
    if (f == null || closed || done.isDone()) {
      return;
    }
    try {
      if (error != null) {
        failed(f, error);
      } else {
        switch (answer) {
          case ProofClient.ChangeAnswer.Range r -> {
            SortedTrie[] verified = new SortedTrie[1];
            ProofException lie =
                ProofChecks.lie(
                    () ->
                        verified[0] =
                            ProofVerifier.verifyRangeProof(
                                r.proof(),
                                f.item().range(),
                                config.keyLimit(),
                                f.root(),
                                config.branchFactor()));
            if (lie != null) {
              lied(f, lie);
            } else {
              applyRange(f, r.proof(), verified[0]);
            }
          }
          case ProofClient.ChangeAnswer.Changes c -> applyChanges(f, c.proof());
        }
      }
    } catch (RuntimeException e) {
      localFailure(f, e);
    }
    pump();
  }

  /** Stages a verified range proof's key-values with the value digests its verification hashed. */
  private void applyRange(InFlight f, RangeProof proof, SortedTrie verified) {
    List<KeyValue> kvs = proof.keyValues();
    KeyRange range = f.item().range();
    Bytes last = kvs.isEmpty() ? null : kvs.get(kvs.size() - 1).key();
    // The end proof may show that nothing follows the last key in the range: then the range is
    // done, without a request for the rest that would come back empty.
    KeyRange covered =
        last != null && EndProofs.nothingAfter(proof.endProof(), last, range, config.branchFactor())
            ? range
            : covered(range, last);
    List<KeyChange> puts = new ArrayList<>(kvs.size());
    List<byte[]> digests = new ArrayList<>(kvs.size());
    long size = 0;
    for (int i = 0; i < kvs.size(); i++) {
      KeyValue kv = kvs.get(i);
      puts.add(new KeyChange(kv.key(), Optional.of(kv.value())));
      digests.add(verified.valueDigest(i));
      size += kv.key().length() + kv.value().length();
    }
    record(f, covered, Optional.of(covered), puts, digests, size);
  }

  private void applyChanges(InFlight f, ChangeProof proof) {
    List<KeyChange> changes = proof.keyChanges();
    KeyRange range = f.item().range();
    // The verifier hashes the local copy only up to the last change; read no further.
    KeyRange local =
        changes.isEmpty()
            ? range
            : new KeyRange(range.start(), Optional.of(changes.get(changes.size() - 1).key()));
    // Staged data comes back in key order, so its trie is built in one pass; the verifier's view
    // of the changes on top of it then rehashes only the changed paths.
    TrieReader localTrie = SortedTrie.of(store.scan(local), config.branchFactor());
    ProofException lie =
        ProofChecks.lie(
            () ->
                ProofVerifier.verifyChangeProof(
                    proof, range, config.keyLimit(), f.root(), localTrie));
    if (lie != null) {
      lied(f, lie);
      return;
    }
    KeyRange covered =
        covered(range, changes.isEmpty() ? null : changes.get(changes.size() - 1).key());
    long size = 0;
    for (KeyChange c : changes) {
      size += c.key().length() + c.value().map(Bytes::length).orElse(0);
    }
    record(f, covered, Optional.empty(), changes, null, size);
  }

  /**
   * The part of {@code range} a proof whose last key is {@code last} (null: none) proves: all of it
   * when no key of it follows {@code last}.
   */
  private static KeyRange covered(KeyRange range, Bytes last) {
    return last == null || range.after(last).isEmpty()
        ? range
        : new KeyRange(range.start(), Optional.of(last));
  }

  /**
   * Stores a verified proof's data with the progress it makes, then takes that progress on: if the
   * store write throws, nothing here has changed, and the caller puts the range back.
   */
  private void record(
      InFlight f,
      KeyRange covered,
      Optional<KeyRange> replace,
      List<KeyChange> changes,
      List<byte[]> digests,
      long size) {
    WorkItem item = f.item();
    CompletedRanges nextCompleted = completed.copy();
    List<WorkItem> queued = new ArrayList<>();
    if (f.root().equals(target)) {
      nextCompleted.add(new CompletedRange(covered, f.root()));
    } else {
      // Fetched at a root the target has since moved from: the data is good at that root and is
      // brought up to date by a change proof.
      queued.add(new WorkItem(covered, Priority.HIGH, Optional.of(f.root()), 0, Optional.empty()));
    }
    Optional<KeyRange> rest = remainder(item.range(), covered);
    if (rest.isPresent()) {
      List<KeyRange> parts =
          inFlight.size() + queue.size() + queued.size() + 1 < config.workLimit()
              ? Keys.split(rest.get(), 2)
              : List.of(rest.get());
      for (KeyRange part : parts) {
        queued.add(
            new WorkItem(
                part,
                item.priority() == Priority.RETRY ? Priority.MEDIUM : item.priority(),
                item.localRoot(),
                0,
                Optional.empty()));
      }
    }
    store.apply(replace, changes, digests, target, progress(nextCompleted, queued));
    storeFailuresInARow = 0;
    stallsInARow = 0;
    completed = nextCompleted;
    queued.forEach(queue::add);
    answeredBy(f.server());
    keys += changes.size();
    bytes += size;
    proofs++;
  }

  private static Optional<KeyRange> remainder(KeyRange range, KeyRange covered) {
    if (covered.end().equals(range.end())) {
      return Optional.empty();
    }
    return range.after(covered.end().get());
  }

  private void failed(InFlight f, Throwable error) {
    Throwable cause =
        error instanceof java.util.concurrent.CompletionException && error.getCause() != null
            ? error.getCause()
            : error;
    // An answer that does not decode is a lie: bytes that do not parse (INVALID_ENCODING), or
    // proof parts that ProofCodec rejects (a ProofException, VERIFICATION_FAILED), or more bytes
    // than asked for (ProofException, OVERSIZED).
    if (cause instanceof ProofException
        || (cause instanceof FerryException fe
            && !(cause instanceof TransportException)
            && fe.code() == ErrorCode.INVALID_ENCODING)) {
      failures++;
      lied(f, (FerryException) cause);
      return;
    }
    if (cause instanceof TransportException te
        && te.failure() == TransportException.Failure.REMOTE
        && te.code() == ErrorCode.UNAVAILABLE
        && f.alongside() > 0) {
      // Busy with the others we had sent it: it takes no more than those at once. Not a failure:
      // the range waits for a free slot.
      int takes = Math.min(f.alongside(), admits.getOrDefault(f.server(), f.alongside()));
      admits.put(f.server(), takes);
      answersSinceBusy.remove(f.server());
      log.debug(
          "proof server {} is busy with our other requests; sending it at most {} at once",
          f.server().shortString(),
          takes);
      queue.add(f.item());
      return;
    }
    if (cause instanceof TransportException te
        && te.failure() == TransportException.Failure.REMOTE
        && te.code() == ErrorCode.NOT_FOUND
        && f.root().equals(target)) {
      // It does not hold the root we sync to: ask another server, at once and without counting
      // an attempt; pump() waits when none is left.
      lackTarget.add(f.server());
      log.debug("proof server {} lacks {}: {}", f.server().shortString(), target, te.getMessage());
      queue.add(f.item());
      return;
    }
    failures++;
    if (cause instanceof TransportException te
        && te.failure() == TransportException.Failure.TIMEOUT) {
      transport.peerManager().report(f.server(), Offence.TIMEOUT, "proof request timed out");
    }
    WorkItem retry = f.item().retry(f.server());
    log.debug(
        "proof request to {} failed ({}); retrying {}",
        f.server().shortString(),
        cause.getMessage(),
        f.item().range());
    retryLater(retry);
  }

  /** After a busy refusal, a server's answers earn back one slot at a time. */
  private void answeredBy(NodeId server) {
    Integer takes = admits.get(server);
    if (takes == null) {
      return;
    }
    int answers = answersSinceBusy.merge(server, 1, Integer::sum);
    if (answers >= ANSWERS_PER_EXTRA_SLOT) {
      answersSinceBusy.remove(server);
      if (takes + 1 >= config.perServerLimit()) {
        admits.remove(server);
      } else {
        admits.put(server, takes + 1);
      }
    }
  }

  /** Queues {@code retry} again after its backoff; meanwhile it is still part of the progress. */
  private void retryLater(WorkItem retry) {
    Duration delay = config.backoff().delay(Math.min(retry.attempts() - 1, 16), random);
    long key = nextBackoff++;
    backingOff.put(key, retry);
    scheduler.schedule(
        delay,
        () -> {
          backingOff.remove(key);
          if (!closed && !done.isDone()) {
            queue.add(retry);
            pump();
          }
        });
  }

  /**
   * Handling an answer threw: the store failed (or a bug). Not the server's fault; the range is
   * retried after a backoff, and the sync fails with a typed error if the store keeps failing.
   */
  private void localFailure(InFlight f, RuntimeException e) {
    failures++;
    storeFailuresInARow++;
    log.warn(
        "proof sync: handling the answer for {} from {} failed: {}",
        f.item().range(),
        f.server().shortString(),
        e.toString());
    if (storeFailuresInARow >= MAX_STORE_FAILURES) {
      done.completeExceptionally(
          e instanceof FerryException fe
              ? fe
              : new FerryException(
                  ErrorCode.INTERNAL, "proof sync failed handling an answer: " + e, e));
      return;
    }
    retryLater(f.item().retry(f.server()));
  }

  private void lied(InFlight f, FerryException e) {
    lies++;
    log.warn(
        "server {} sent a proof that does not verify for {} at {}: {}",
        f.server().shortString(),
        f.item().range(),
        f.root(),
        e.getMessage());
    transport.peerManager().report(f.server(), Offence.INVALID_PROOF, e.getMessage());
    queue.add(f.item().retry(f.server()));
  }

  /**
   * Completed ranges plus ranges held at an older root (queued, in flight or backing off for a
   * change proof).
   */
  private List<CompletedRange> progress() {
    return progress(completed, List.of());
  }

  /**
   * The progress with {@code done} as the completed ranges and {@code queued} added to the queue.
   */
  private List<CompletedRange> progress(CompletedRanges done, List<WorkItem> queued) {
    List<CompletedRange> out = new ArrayList<>(done.list());
    WorkQueue all = new WorkQueue();
    queueSnapshot().forEach(all::add);
    queued.forEach(all::add);
    for (WorkItem w : all.drain()) {
      w.localRoot().ifPresent(r -> out.add(new CompletedRange(w.range(), r)));
    }
    for (InFlight f : inFlight.values()) {
      f.item().localRoot().ifPresent(r -> out.add(new CompletedRange(f.item().range(), r)));
    }
    for (WorkItem w : backingOff.values()) {
      w.localRoot().ifPresent(r -> out.add(new CompletedRange(w.range(), r)));
    }
    return out;
  }

  private List<WorkItem> queueSnapshot() {
    List<WorkItem> items = queue.drain();
    items.forEach(queue::add);
    return items;
  }

  /**
   * Stores the progress alone. If that throws, the next proof stored writes the whole progress; the
   * sync fails only if the store keeps failing.
   */
  private void persistProgress() {
    try {
      store.apply(Optional.empty(), List.of(), target, progress());
      storeFailuresInARow = 0;
    } catch (RuntimeException e) {
      failures++;
      log.warn("proof sync: storing the progress failed: {}", e.toString());
      if (++storeFailuresInARow >= MAX_STORE_FAILURES) {
        done.completeExceptionally(e);
      }
    }
  }

  private void finish() {
    if (!completed.coversAll(target)) {
      return; // waiting for a retry timer
    }
    log.info("proof sync: every range is at {}; building the store from {} keys", target, keys);
    long loadStart = scheduler.clock().nanos();
    fetchNanos = loadStart - startNanos;
    Hash built;
    Iterator<DigestedKeyValue> staged = null;
    try {
      // Staged writes need not each be synced (a power cut loses only the latest proofs, which
      // are fetched again); before the build replaces the live store, all of them must be.
      store.sync();
      staged = store.digestedIterator();
      built = loader.loadDigested(staged);
    } catch (RuntimeException e) {
      done.completeExceptionally(e);
      return;
    } finally {
      if (staged instanceof AutoCloseable c) {
        try {
          c.close();
        } catch (Exception e) {
          log.debug("closing the staged data iterator failed", e);
        }
      }
    }
    if (!built.equals(target)) {
      done.completeExceptionally(
          new FerryException(
              ErrorCode.VERIFICATION_FAILED,
              "sync finished with root " + built + ", not the target " + target));
      return;
    }
    try {
      store.clear();
    } catch (RuntimeException e) {
      // The store holds the target all the same; only the staged copy is left behind.
      log.warn("proof sync: clearing the staged data failed: {}", e.toString());
    }
    loadNanos = scheduler.clock().nanos() - loadStart;
    publish();
    log.info("proof sync done: root {} ({} proofs, {} keys)", built, proofs, keys);
    done.complete(built);
  }

  private void publish() {
    stats =
        new SyncStats(
            keys,
            bytes,
            proofs,
            completed.size(),
            coveredFraction(),
            inFlight.size(),
            failures,
            lies,
            targetUpdates,
            fetchNanos,
            loadNanos);
  }

  private double coveredFraction() {
    double sum = 0;
    for (CompletedRange c : completed.list()) {
      double lo = c.range().start().map(SyncManager::position).orElse(0.0);
      double hi = c.range().end().map(SyncManager::position).orElse(1.0);
      sum += Math.max(0, hi - lo);
    }
    return Math.min(1.0, sum);
  }

  /** Where a key falls in the key space, 0 to 1, from its first 8 bytes. */
  private static double position(Bytes key) {
    double p = 0;
    double scale = 1.0 / 256;
    for (int i = 0; i < 8 && i < key.length(); i++) {
      p += (key.byteAt(i) & 0xff) * scale;
      scale /= 256;
    }
    return p;
  }
}
