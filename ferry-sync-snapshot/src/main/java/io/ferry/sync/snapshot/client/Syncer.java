package io.ferry.sync.snapshot.client;

import io.ferry.core.Bytes;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import io.ferry.sync.snapshot.Messages;
import io.ferry.sync.snapshot.app.ApplyResult;
import io.ferry.sync.snapshot.app.ChunkApplied;
import io.ferry.sync.snapshot.app.OfferResult;
import io.ferry.sync.snapshot.app.Snapshot;
import io.ferry.sync.snapshot.app.SnapshotApplication;
import io.ferry.sync.snapshot.client.StateSyncException.Reason;
import java.time.Duration;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores an application's state from a snapshot its peers hold, as CometBFT's state syncer:
 * collects listings for the discovery time, offers the best trusted snapshot to the application,
 * fetches its chunks from every peer that advertised it with a few requests in flight, and hands
 * each chunk to the application, doing with each answer what CometBFT does (docs/state-sync.md).
 * Where CometBFT's users hurt it does better: the first offer comes as soon as every connected peer
 * has listed a snapshot, not after the whole discovery time; two requests are in flight to each
 * peer, so no link idles between chunks; a {@code missing} chunk goes to another peer at once;
 * chunks may be applied as they arrive; fetched chunks survive a restart ({@link ChunkStore}); a
 * chunk no peer has rejects the snapshot instead of asking forever; and with nothing to offer the
 * sync fails after {@link StateSyncConfig#snapshotWait} instead of waiting forever.
 *
 * <p>Thread-safety: every method may be called from any thread; the state lives on the injected
 * scheduler, and application calls (and chunk store writes) run one at a time, in order, on the
 * injected executor, which must run tasks one at a time in order (a single thread).
 */
public final class Syncer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Syncer.class);

  /** Fetched chunks not yet applied, per fetcher, before fetching pauses for the application. */
  private static final int BUFFERED_PER_FETCHER = 4;

  private enum Phase {
    IDLE,
    DISCOVERING,
    OFFERING,
    FETCHING,
    DONE
  }

  private final StateSyncConfig config;
  private final SnapshotApplication app;
  private final TrustedAppHash trust;
  private final ChunkStore store;
  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final Executor appExecutor;
  private final CompletableFuture<SyncOutcome> result = new CompletableFuture<>();
  private final SnapshotPool pool = new SnapshotPool();

  // Scheduler state.
  private Phase phase = Phase.IDLE;
  private long started;
  private long fetchStarted;
  private long lastChunkAt; // the last chunk taken from a peer
  private long nothingToOfferSince;
  private long lastProgressAt;
  private Cancellable discoveryTimer;
  private Snapshot active;
  private boolean outOfOrder; // chunks of the active snapshot apply as they arrive
  private ChunkQueue chunks;
  private int appCalls; // application calls queued or running
  private Bytes offeredAppHash; // the trusted app hash of the snapshot offered last
  private int generation; // bumped when the active snapshot changes: late app results are dropped
  private final Map<NodeId, Integer> timeoutsByPeer = new HashMap<>();
  private final java.util.SortedSet<NodeId> listed = new java.util.TreeSet<>();
  private final Map<NodeId, Long> bytesByPeer = new java.util.TreeMap<>();
  private long chunksFetched;
  private long chunksReused;
  private long bytesFetched;
  private long missingAnswers;
  private long timeouts;
  private long unsolicited;
  private int offers;
  private volatile Progress progress = Progress.IDLE;

  /**
   * What a sync is doing now, for status pages and progress bars.
   *
   * @param phase idle, discovering, offering, fetching or done
   * @param snapshot the snapshot being restored, if one is accepted
   * @param chunks its chunk count (0 before)
   * @param applied chunks applied
   * @param bytesFetched chunk bytes taken so far
   * @param snapshotsKnown snapshots in the pool
   */
  public record Progress(
      String phase,
      Optional<Snapshot> snapshot,
      int chunks,
      int applied,
      long bytesFetched,
      int snapshotsKnown) {
    static final Progress IDLE = new Progress("idle", Optional.empty(), 0, 0, 0, 0);
  }

  public Syncer(
      StateSyncConfig config,
      SnapshotApplication app,
      TrustedAppHash trust,
      ChunkStore store,
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      Executor appExecutor) {
    this.config = config;
    this.app = app;
    this.trust = trust;
    this.store = store;
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.appExecutor = appExecutor;
  }

  /** Starts the sync; completes with the outcome or fails with {@link StateSyncException}. */
  public CompletableFuture<SyncOutcome> start() {
    scheduler.execute(
        () -> {
          if (phase != Phase.IDLE) {
            return;
          }
          started = scheduler.clock().nanos();
          nothingToOfferSince = started;
          phase = Phase.DISCOVERING;
          log.info(
              "state sync: asking {} peers for snapshots for {}",
              transport.peers().size(),
              config.discoveryTime());
          askAll();
          discoveryTimer = scheduler.schedule(config.discoveryTime(), this::discoveryRound);
          publish();
        });
    return result;
  }

  public CompletableFuture<SyncOutcome> result() {
    return result;
  }

  public Progress progress() {
    return progress;
  }

  /** A peer connected: ask it for its snapshots. */
  public void onConnected(NodeId peer) {
    scheduler.execute(
        () -> {
          if (phase != Phase.IDLE && phase != Phase.DONE) {
            ask(peer);
          }
        });
  }

  /** A peer went away: its chunks in flight go to others. */
  public void onDisconnected(NodeId peer) {
    scheduler.execute(
        () -> {
          pool.removePeer(peer);
          if (chunks != null && phase != Phase.DONE) {
            for (int i : chunks.inFlightTo(peer)) {
              chunks.needed(i);
            }
            pump();
          }
        });
  }

  /** A peer listed a snapshot. */
  public void onListed(NodeId peer, Snapshot snapshot) {
    scheduler.execute(
        () -> {
          if (phase == Phase.IDLE || phase == Phase.DONE) {
            return;
          }
          if (pool.add(peer, snapshot)) {
            log.debug("state sync: {} has snapshot {}", peer.shortString(), snapshot);
          }
          listed.add(peer);
          if (phase == Phase.DISCOVERING && offers == 0 && listed.containsAll(transport.peers())) {
            // Every peer has answered: waiting out the discovery time would change nothing.
            offerBest();
          } else if (phase == Phase.FETCHING && snapshot.equals(active)) {
            pump(); // a peer that was gone, back: what waited for a peer goes to it now
          }
          publish();
        });
  }

  /** A peer sent a chunk, or said it has none. */
  public void onChunk(NodeId peer, Messages.ChunkSent sent) {
    scheduler.execute(() -> takeChunk(peer, sent));
  }

  /** Stops the sync: it fails with {@link Reason#CLOSED}; fetched chunks stay in the store. */
  @Override
  public void close() {
    scheduler.execute(() -> fail(new StateSyncException(Reason.CLOSED, "the state sync closed")));
  }

  // ---- discovery and offers ----

  private void askAll() {
    for (NodeId p : transport.peers()) {
      ask(p);
    }
  }

  private void ask(NodeId peer) {
    if (pool.isRejected(peer)) {
      return;
    }
    transport
        .send(peer, ProtocolId.SNAPSHOT_SYNC, Messages.listRequest())
        .exceptionally(
            e -> {
              log.debug("state sync: cannot ask {} for snapshots: {}", peer.shortString(), e);
              return null;
            });
  }

  private void discoveryRound() {
    discoveryTimer = null;
    switch (phase) {
      case DISCOVERING -> {
        if (!offerBest()) {
          long waited = scheduler.clock().nanos() - nothingToOfferSince;
          if (waited >= config.snapshotWait().toNanos()) {
            fail(
                new StateSyncException(
                    Reason.NO_SNAPSHOTS,
                    "no trusted snapshot to restore after "
                        + Duration.ofNanos(waited).toSeconds()
                        + " s: "
                        + transport.peers().size()
                        + " peers connected, "
                        + pool.size()
                        + " snapshots listed ("
                        + describeUntrusted()
                        + "), "
                        + pool.rejectedCount()
                        + " rejected"));
            return;
          }
          askAll();
        }
      }
      case FETCHING -> {
        pump(); // a peer may be back, or out of its timeouts' way
        if (phase == Phase.FETCHING) {
          giveUpIfStuck();
        }
      }
      case IDLE, OFFERING, DONE -> {}
    }
    if (phase != Phase.DONE) {
      discoveryTimer = scheduler.schedule(config.discoveryTime(), this::discoveryRound);
    }
  }

  /**
   * Gives the active snapshot up when nothing is in flight, the application is idle (a slow one,
   * building its state at the last chunk, is waited for) and nothing has arrived or been applied
   * for the snapshot wait: no peer can serve what is left.
   */
  private void giveUpIfStuck() {
    if (chunks.inFlight() > 0 || appCalls > 0) {
      return;
    }
    long idle = scheduler.clock().nanos() - lastProgressAt;
    if (idle >= config.snapshotWait().toNanos()) {
      log.warn(
          "state sync: no chunk of snapshot {} could be fetched for {} s; giving it up",
          active,
          Duration.ofNanos(idle).toSeconds());
      pool.reject(active);
      next();
    } else {
      askAll(); // peers that come back list it again
    }
  }

  private String describeUntrusted() {
    long untrusted = pool.ranked().stream().filter(s -> trust.appHash(s).isEmpty()).count();
    return untrusted + " without a trusted app hash";
  }

  /** Offers the best trusted snapshot; false when there is none. */
  private boolean offerBest() {
    // Each snapshot's trust is worked out once (it may hash megabytes of metadata), best first.
    for (Snapshot s : pool.ranked()) {
      Optional<Bytes> appHash = trust.appHash(s);
      if (appHash.isPresent()) {
        offer(s, appHash.get());
        return true;
      }
    }
    return false;
  }

  /** The application's answer to an offer, and for an accepted one what it and the store hold. */
  private record Offered(
      OfferResult result,
      boolean outOfOrder,
      BitSet applied,
      java.util.SortedMap<Integer, NodeId> held) {}

  private void offer(Snapshot s, Bytes appHash) {
    offeredAppHash = appHash;
    phase = Phase.OFFERING;
    offers++;
    log.info("state sync: offering snapshot {} from {} peers", s, pool.peers(s).size());
    callApp(
        () -> {
          OfferResult r = app.offerSnapshot(s, appHash);
          if (r != OfferResult.ACCEPT) {
            return new Offered(r, false, null, null);
          }
          return new Offered(r, app.appliesOutOfOrder(s), app.appliedChunks(s), store.open(s));
        },
        o -> offered(s, o));
  }

  private void offered(Snapshot s, Offered o) {
    switch (o.result()) {
      case ACCEPT -> accept(s, config.outOfOrder() && o.outOfOrder(), o.applied(), o.held());
      case ABORT ->
          fail(new StateSyncException(Reason.ABORTED, "the application aborted at snapshot " + s));
      case REJECT -> {
        log.info("state sync: the application rejected snapshot {}", s);
        pool.reject(s);
        next();
      }
      case REJECT_FORMAT -> {
        log.info("state sync: the application rejected format {}", s.format());
        pool.rejectFormat(s.format());
        next();
      }
      case REJECT_SENDER -> {
        for (NodeId p : pool.peers(s)) {
          rejectPeer(p, "advertised snapshot " + s + ", which the application refused");
        }
        next();
      }
    }
  }

  /**
   * Starts fetching {@code s}. Offered again after {@code RETRY_SNAPSHOT}, the same snapshot keeps
   * its chunk queue: what was fetched is applied again from the store, and what is in flight (its
   * timers running) is taken when it comes, so nothing is fetched twice.
   */
  private void accept(
      Snapshot s,
      boolean inAnyOrder,
      BitSet appliedBefore,
      java.util.SortedMap<Integer, NodeId> heldBefore) {
    boolean same = s.equals(active) && chunks != null;
    phase = Phase.FETCHING;
    outOfOrder = inAnyOrder;
    lastProgressAt = scheduler.clock().nanos();
    int reused = 0;
    if (same) {
      chunks.unapplyAll();
    } else {
      active = s;
      chunks = new ChunkQueue(s.chunks());
      generation++;
      fetchStarted = lastProgressAt;
      lastChunkAt = lastProgressAt;
      for (Map.Entry<Integer, NodeId> h : heldBefore.entrySet()) {
        chunks.fetched(h.getKey(), null, h.getValue());
        reused++;
      }
    }
    for (int i = appliedBefore.nextSetBit(0); i >= 0 && i < s.chunks(); ) {
      if (chunks.state(i) != ChunkQueue.State.FETCHED) {
        reused++;
      }
      chunks.applied(i);
      i = appliedBefore.nextSetBit(i + 1);
    }
    if (!same) {
      chunksReused += reused;
    }
    log.info(
        "state sync: restoring snapshot {}; {} chunks already applied, {} held",
        s,
        appliedBefore.cardinality(),
        heldBefore.size());
    pump();
  }

  /** After a rejection: the next best snapshot now, or back to discovery. */
  private void next() {
    boolean opened = chunks != null;
    if (opened) {
      chunks.cancelTimers();
    }
    active = null;
    chunks = null;
    generation++;
    phase = Phase.DISCOVERING;
    nothingToOfferSince = scheduler.clock().nanos();
    if (opened) {
      // Only a snapshot accepted has chunks in the store. A refused offer leaves the store be:
      // what it holds may be of a snapshot an earlier run fetched, offered next.
      callApp(
          () -> {
            store.clear();
            return null;
          },
          x -> {});
    }
    if (!offerBest()) {
      askAll();
    }
    publish();
  }

  // ---- fetching and applying ----

  private void pump() {
    if (phase != Phase.FETCHING) {
      return;
    }
    if (chunks.done()) {
      complete();
      return;
    }
    applyNext();
    fetchMore();
    publish();
  }

  private void applyNext() {
    if (appCalls > 0 || phase != Phase.FETCHING) {
      return;
    }
    int index;
    if (outOfOrder) {
      index = -1;
      for (int i = 0; i < chunks.count(); i++) {
        if (chunks.state(i) == ChunkQueue.State.FETCHED) {
          index = i;
          break;
        }
      }
    } else {
      int first = chunks.firstUnapplied();
      index = chunks.state(first) == ChunkQueue.State.FETCHED ? first : -1;
    }
    if (index < 0) {
      return;
    }
    int i = index;
    Bytes inMemory = chunks.bytes(i);
    NodeId sender = chunks.peer(i);
    callApp(
        () -> {
          Bytes chunk = inMemory;
          NodeId from = sender;
          if (chunk == null) {
            Optional<ChunkStore.Held> held = store.get(i);
            if (held.isEmpty()) {
              return null; // gone from the store: fetched again below
            }
            chunk = held.get().chunk();
            from = held.get().sender();
          }
          return app.applySnapshotChunk(i, chunk, from);
        },
        r -> applied(i, sender, r));
  }

  private void applied(int i, NodeId sender, ChunkApplied r) {
    if (r == null) {
      chunks.needed(i);
      pump();
      return;
    }
    lastProgressAt = scheduler.clock().nanos();
    if (r.result() == ApplyResult.ACCEPT
        && chunks.state(i) == ChunkQueue.State.FETCHED
        && !r.refetchChunks().contains(i)) {
      // Applied before the senders are rejected: like CometBFT's DiscardSender, rejecting a
      // sender takes back only its chunks not yet handed to the application.
      chunks.applied(i);
    }
    for (int index : r.refetchChunks()) {
      if (index >= 0 && index < chunks.count()) {
        discard(index);
      }
    }
    for (NodeId p : new TreeSet<>(r.rejectSenders())) { // sorted: the same run for the same seed
      rejectPeer(p, "the application rejected a chunk it sent");
    }
    switch (r.result()) {
      case ACCEPT -> pump();
      case RETRY -> pump();
      case RETRY_SNAPSHOT -> {
        log.info("state sync: the application asked to restore snapshot {} again", active);
        // The hash it was trusted with still holds, even if the trust source has moved on. Its
        // chunk queue stays, requests in flight included: see accept.
        offer(active, offeredAppHash);
      }
      case REJECT_SNAPSHOT -> {
        log.info("state sync: the application rejected snapshot {} while restoring", active);
        pool.reject(active);
        next();
      }
      case ABORT ->
          fail(
              new StateSyncException(
                  Reason.ABORTED, "the application aborted at chunk " + i + " of " + active));
    }
  }

  private void discard(int index) {
    if (chunks.state(index) == ChunkQueue.State.NEEDED) {
      return;
    }
    chunks.needed(index);
    callApp(
        () -> {
          store.discard(index);
          return null;
        },
        x -> pump()); // an apply may have waited for this call
  }

  private void rejectPeer(NodeId p, String why) {
    if (pool.isRejected(p)) {
      return;
    }
    log.warn("state sync: rejecting peer {}: {}", p.shortString(), why);
    pool.rejectPeer(p);
    transport.peerManager().report(p, Offence.INVALID_PROOF, "state sync: " + why);
    if (chunks != null) {
      for (int i : chunks.inFlightTo(p)) {
        chunks.needed(i);
      }
      for (int i : chunks.fetchedFrom(p)) {
        discard(i);
      }
    }
  }

  private void fetchMore() {
    int buffer = config.chunkFetchers() * BUFFERED_PER_FETCHER;
    // In index order, the window after the first unapplied chunk bounds what is held in memory;
    // counting fetched chunks as well would stall on a chunk refetched below many held ones (all
    // of a snapshot offered again, or what an earlier run left in the store): the one the
    // application waits for. In any order, every fetched chunk can be applied, so the count drains.
    int limit = outOfOrder ? chunks.count() : chunks.firstUnapplied() + buffer;
    int inFlightLimit = inFlightLimit(buffer);
    int from = 0;
    while (chunks.inFlight() < inFlightLimit
        && (!outOfOrder || chunks.fetchedUnapplied() < buffer)) {
      int i = chunks.nextNeeded(from, limit);
      if (i < 0) {
        return;
      }
      Optional<NodeId> peer = choosePeer(i);
      if (peer.isEmpty()) {
        if (unavailable(i)) {
          return;
        }
        from = i + 1;
        continue;
      }
      request(i, peer.get());
    }
  }

  /**
   * Requests to keep in flight: {@code chunkFetchers}, or {@code requestsPerPeer} for each peer
   * that can be asked when that is more (a peer asked for one chunk at a time idles between chunks
   * for a round trip and its chunk load), but no more than {@code buffer}, the chunks that may wait
   * for the application.
   */
  private int inFlightLimit(int buffer) {
    int usable = 0;
    if (config.requestsPerPeer() > 0) {
      for (NodeId p : pool.peers(active)) {
        if (transport.isConnected(p)
            && timeoutsByPeer.getOrDefault(p, 0) < config.maxTimeoutsPerPeer()) {
          usable++;
        }
      }
    }
    return Math.max(config.chunkFetchers(), Math.min(buffer, config.requestsPerPeer() * usable));
  }

  /**
   * A peer for chunk {@code i}: the least busy that has not failed it, ties at random. Timeouts
   * bench a peer only while another can serve: when every connected peer that may have the chunk is
   * benched, their timeouts are forgiven (a partition or a congested link times out every peer at
   * once, and they are all healthy again afterwards) rather than the snapshot given up.
   */
  private Optional<NodeId> choosePeer(int i) {
    List<NodeId> usable = new ArrayList<>();
    List<NodeId> benched = new ArrayList<>();
    for (NodeId p : pool.peers(active)) {
      if (transport.isConnected(p) && !chunks.saidMissing(i, p, false)) {
        (timeoutsByPeer.getOrDefault(p, 0) < config.maxTimeoutsPerPeer() ? usable : benched).add(p);
      }
    }
    if (usable.isEmpty() && !benched.isEmpty()) {
      log.info(
          "state sync: every peer of snapshot {} timed out {} times; asking them again",
          active,
          config.maxTimeoutsPerPeer());
      benched.forEach(timeoutsByPeer::remove);
      usable = benched;
    }
    List<NodeId> fresh = usable.stream().filter(p -> !chunks.saidMissing(i, p, true)).toList();
    List<NodeId> candidates = fresh.isEmpty() ? usable : fresh;
    if (candidates.isEmpty()) {
      return Optional.empty();
    }
    int least = candidates.stream().mapToInt(chunks::inFlight).min().orElseThrow();
    List<NodeId> best = candidates.stream().filter(p -> chunks.inFlight(p) == least).toList();
    return Optional.of(best.get(random.nextInt(best.size())));
  }

  /**
   * No peer to ask for chunk {@code i}. If every peer of the snapshot said it has no such chunk,
   * nobody can finish it: the snapshot is rejected (CometBFT would ask forever). Otherwise peers
   * may come back; the discovery round asks again.
   *
   * @return whether the snapshot was given up
   */
  private boolean unavailable(int i) {
    List<NodeId> peers = pool.peers(active);
    if (!peers.isEmpty() && peers.stream().allMatch(p -> chunks.saidMissing(i, p, false))) {
      log.warn(
          "state sync: none of the {} peers of snapshot {} has chunk {}; rejecting it",
          peers.size(),
          active,
          i);
      pool.reject(active);
      next();
      return true;
    }
    return false;
  }

  private void request(int i, NodeId peer) {
    Snapshot s = active;
    int gen = generation;
    Cancellable timer = scheduler.schedule(config.chunkTimeout(), () -> timedOut(gen, i, peer));
    chunks.inFlight(i, peer, timer);
    transport
        .send(peer, ProtocolId.SNAPSHOT_SYNC, Messages.chunkWanted(s.height(), s.format(), i))
        .exceptionally(
            e -> {
              scheduler.execute(
                  () -> {
                    if (gen == generation
                        && chunks.state(i) == ChunkQueue.State.IN_FLIGHT
                        && peer.equals(chunks.peer(i))) {
                      chunks.needed(i);
                      chunks.timedOut(i, peer);
                      pump();
                    }
                  });
              return null;
            });
  }

  private void timedOut(int gen, int i, NodeId peer) {
    if (gen != generation
        || chunks == null
        || phase == Phase.DONE
        || chunks.state(i) != ChunkQueue.State.IN_FLIGHT
        || !peer.equals(chunks.peer(i))) {
      return;
    }
    timeouts++;
    int n = timeoutsByPeer.merge(peer, 1, Integer::sum);
    log.debug("state sync: chunk {} from {} timed out ({} so far)", i, peer.shortString(), n);
    transport.peerManager().report(peer, Offence.TIMEOUT, "state sync chunk " + i);
    chunks.needed(i);
    chunks.timedOut(i, peer);
    pump();
  }

  private void takeChunk(NodeId peer, Messages.ChunkSent sent) {
    Snapshot s = active;
    if (chunks == null // nothing accepted (while the same one is offered again, chunks stay)
        || phase == Phase.DONE
        || sent.height() != s.height()
        || sent.format() != s.format()
        || sent.index() >= s.chunks()
        || pool.isRejected(peer)) {
      unsolicited++;
      return;
    }
    int i = sent.index();
    boolean asked = chunks.state(i) == ChunkQueue.State.IN_FLIGHT && peer.equals(chunks.peer(i));
    boolean late = chunks.state(i) == ChunkQueue.State.NEEDED && chunks.saidMissing(i, peer, true);
    if (!asked && !late) {
      unsolicited++; // a duplicate, or nobody asked
      return;
    }
    if (sent.missing()) {
      missingAnswers++;
      chunks.saidMissing(i, peer);
      if (asked && config.missingMovesAtOnce()) {
        chunks.needed(i);
        pump();
      }
      return;
    }
    chunksFetched++;
    lastProgressAt = scheduler.clock().nanos();
    lastChunkAt = lastProgressAt;
    bytesFetched += sent.chunk().length();
    bytesByPeer.merge(peer, (long) sent.chunk().length(), Long::sum);
    chunks.fetched(i, sent.chunk(), peer);
    Bytes chunk = sent.chunk();
    appExecutor.execute(
        () -> {
          try {
            store.put(i, chunk, peer);
          } catch (RuntimeException e) {
            scheduler.execute(
                () ->
                    fail(
                        new StateSyncException(
                            Reason.FAILED, "cannot store chunk " + i + ": " + e.getMessage(), e)));
          }
        });
    pump();
  }

  // ---- the application's executor ----

  /**
   * Runs {@code call} on the application's executor and {@code then} on the scheduler, unless the
   * sync moved to another snapshot meanwhile (then the answer is stale and dropped).
   */
  private <T> void callApp(Supplier<T> call, Consumer<T> then) {
    appCalls++;
    int gen = generation;
    appExecutor.execute(
        () -> {
          T value;
          try {
            value = call.get();
          } catch (RuntimeException | Error e) {
            scheduler.execute(
                () -> {
                  appCalls--;
                  fail(
                      new StateSyncException(
                          Reason.FAILED, "the application failed: " + e.getMessage(), e));
                });
            return;
          }
          scheduler.execute(
              () -> {
                appCalls--;
                if (phase == Phase.DONE) {
                  return;
                }
                if (gen != generation) {
                  pump();
                  return;
                }
                then.accept(value);
              });
        });
  }

  private void complete() {
    phase = Phase.DONE;
    if (discoveryTimer != null) {
      discoveryTimer.cancel();
    }
    long now = scheduler.clock().nanos();
    SyncOutcome outcome =
        new SyncOutcome(
            active,
            chunksFetched,
            chunksReused,
            bytesFetched,
            bytesByPeer,
            missingAnswers,
            timeouts,
            unsolicited,
            pool.rejectedPeers(),
            offers,
            Duration.ofNanos(now - started),
            Duration.ofNanos(now - fetchStarted),
            Duration.ofNanos(lastChunkAt - fetchStarted));
    appExecutor.execute(
        () -> {
          try {
            store.clear();
          } catch (RuntimeException e) {
            log.warn("state sync: cannot delete the fetched chunks: {}", e.toString());
          }
        });
    log.info(
        "state sync: restored snapshot {}: {} chunks ({} bytes) fetched, {} reused, {} missing,"
            + " {} timeouts, {} peers rejected",
        active,
        chunksFetched,
        bytesFetched,
        chunksReused,
        missingAnswers,
        timeouts,
        outcome.rejectedPeers().size());
    publish();
    result.complete(outcome);
  }

  private void fail(StateSyncException e) {
    if (phase == Phase.DONE) {
      return;
    }
    phase = Phase.DONE;
    if (discoveryTimer != null) {
      discoveryTimer.cancel();
    }
    if (chunks != null) {
      chunks.cancelTimers();
    }
    log.warn("state sync failed: {}", e.getMessage());
    publish();
    result.completeExceptionally(e);
  }

  private void publish() {
    progress =
        new Progress(
            phase.name().toLowerCase(java.util.Locale.ROOT),
            Optional.ofNullable(active),
            chunks == null ? 0 : chunks.count(),
            chunks == null ? 0 : chunks.applied(),
            bytesFetched,
            pool.size());
  }
}
