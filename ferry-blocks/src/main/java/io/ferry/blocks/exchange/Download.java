package io.ferry.blocks.exchange;

import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.BlockProof;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.dataset.Protection;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Sha256Hasher;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.peers.Offence;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Fetches one dataset's blocks from every peer that has them, following Codex's download flow: ask
 * each peer want-have for the tree, read the presence it answers (and the HAVEs it sends as it gets
 * more), then want-block each missing block from the cheapest peer that has it ({@link
 * Ledger#cost}), at most {@link ExchangeConfig#perPeer} at a time.
 *
 * <ul>
 *   <li>Blocks are chosen rarest first among those within {@link ExchangeConfig#window} of the
 *       slowest reader (or of the first missing block when no one reads), so the window refills as
 *       readers advance and rare blocks are not left to the end.
 *   <li>A DONT_HAVE moves the want to the next peer at once; an unanswered one moves after {@link
 *       ExchangeConfig#requestTimeout}.
 *   <li>End game: when every missing block is in flight and at most {@link ExchangeConfig#endGame}
 *       are, each is asked of a second peer too, and the slower one is cancelled.
 *   <li>Every block is checked before it is stored: its length, its SHA-256 and its proof up to the
 *       tree root. A peer that sends a wrong one is reported ({@link Offence#INVALID_PROOF}) and
 *       not asked again.
 *   <li>A protected dataset's block that no peer has is rebuilt from any {@code k} of its group
 *       ({@link GroupRepair}), and stored with a proof derived from its neighbours ({@link
 *       RepairProofs}).
 * </ul>
 *
 * <p>Thread-safe: {@link #receive} verifies and stores on the caller's thread; all other state
 * lives on the scheduler.
 */
public final class Download {
  private static final Logger log = LoggerFactory.getLogger(Download.class);

  /** What the exchange does for a download. */
  interface Hooks {
    void send(NodeId peer, Messages.Message m);

    void stored(Cid tree, int index);

    void report(NodeId peer, Offence offence, String why);

    void finished(Download d);
  }

  /** Counts for status and tests. */
  public record Progress(
      int blocks, int held, long bytes, int peers, int inflight, long duplicates, int repaired) {}

  private static final class PeerView {
    final NodeId id;
    final BitSet has = new BitSet();
    final Ledger ledger = new Ledger();
    boolean answered;
    boolean liar;

    PeerView(NodeId id) {
      this.id = id;
    }
  }

  private static final class Inflight {
    NodeId peer;
    long sentAt;
    NodeId second;
    long secondAt;

    Inflight(NodeId peer, long sentAt) {
      this.peer = peer;
      this.sentAt = sentAt;
    }
  }

  private final Cid manifestCid;
  private final Manifest manifest;
  private final Cid tree;
  private final Hash root;
  private final int blocks;
  private final int target;
  private final BlockStore store;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final ExchangeConfig config;
  private final Hooks hooks;
  private final Optional<GroupRepair> repair;
  private final CompletableFuture<Void> done = new CompletableFuture<>();
  private final AutoCloseable hold;

  // Scheduler-only state; ordered maps, so a simulation replays.
  private final BitSet have;
  private final SequencedMap<NodeId, PeerView> peers = new LinkedHashMap<>();
  private final TreeMap<Integer, Inflight> inflight = new TreeMap<>();
  private final TreeMap<Long, Integer> readers = new TreeMap<>();
  private final TreeMap<Integer, List<CompletableFuture<byte[]>>> waiters = new TreeMap<>();
  private final BitSet repairTargets = new BitSet();
  private final BitSet repairPlanned = new BitSet();
  // Blocks rebuilt by decoding whose proofs cannot be derived yet (their neighbours are missing),
  // and their digests, each hashed once.
  private final TreeMap<Integer, byte[]> rebuilt = new TreeMap<>();
  private final TreeMap<Integer, Hash> rebuiltDigests = new TreeMap<>();
  private long nextReader;
  private boolean pumpQueued;
  private final long seed;
  private long bytes;
  private long duplicates;
  private int repaired;
  private Cancellable timer;

  Download(
      Cid manifestCid,
      Manifest manifest,
      BlockStore store,
      Scheduler scheduler,
      RandomSource random,
      ExchangeConfig config,
      Hooks hooks,
      Optional<GroupRepair> repair) {
    this.manifestCid = manifestCid;
    this.manifest = manifest;
    this.tree = manifest.tree();
    this.root = tree.digest();
    this.blocks = manifest.blocks();
    this.target = manifest.contentBlocks();
    this.store = store;
    this.scheduler = scheduler;
    this.random = random;
    this.config = config;
    this.hooks = hooks;
    this.repair = repair;
    this.hold = store.hold(tree);
    this.have = store.held(tree);
    this.seed = random.nextLong();
  }

  public Cid manifestCid() {
    return manifestCid;
  }

  public Manifest manifest() {
    return manifest;
  }

  /** Completes when every block a reader needs is stored here; fails if the download cannot. */
  public CompletableFuture<Void> done() {
    return done;
  }

  void start() {
    scheduler.execute(
        () -> {
          timer = scheduler.schedule(config.tick(), this::tick);
          pump();
        });
  }

  // ---- readers

  /** A reader of the dataset in order; its position holds the prefetch window. */
  public final class Reader implements AutoCloseable {
    private final long id;

    private Reader(long id) {
      this.id = id;
    }

    /**
     * Block {@code index} of the content (a protected dataset's data blocks, padding included at
     * the end of the last), once stored; moves this reader's position there.
     */
    public CompletableFuture<byte[]> block(int index) {
      if (index < 0 || index >= target) {
        throw new IndexOutOfBoundsException("block " + index + " of " + target);
      }
      CompletableFuture<byte[]> f = new CompletableFuture<>();
      scheduler.execute(
          () -> {
            if (readers.containsKey(id)) {
              readers.put(id, index);
            }
            if (have.get(index)) {
              readStored(index, f);
            } else if (done.isCompletedExceptionally()) {
              done.whenComplete((ok, e) -> f.completeExceptionally(e));
            } else {
              waiters.computeIfAbsent(index, i -> new ArrayList<>()).add(f);
              pump();
            }
          });
      return f;
    }

    @Override
    public void close() {
      scheduler.execute(
          () -> {
            readers.remove(id);
            pump();
          });
    }
  }

  /** A reader starting at block {@code index}. */
  public Reader reader(int index) {
    long id;
    synchronized (this) {
      id = nextReader++;
    }
    Reader r = new Reader(id);
    scheduler.execute(() -> readers.put(id, index));
    return r;
  }

  private void readStored(int index, CompletableFuture<byte[]> f) {
    Optional<BlockStore.Leaf> leaf = store.leaf(tree, index);
    if (leaf.isPresent()) {
      f.complete(leaf.get().data());
    } else {
      f.completeExceptionally(
          new FerryException(ErrorCode.NOT_FOUND, "block " + index + " left the store"));
    }
  }

  // ---- peers

  void addPeer(NodeId peer) {
    scheduler.execute(
        () -> {
          if (done.isDone() || peers.containsKey(peer)) {
            return;
          }
          peers.put(peer, new PeerView(peer));
          hooks.send(peer, Messages.Message.of(List.of(Want.have(new Address.ByCid(tree)))));
        });
  }

  void removePeer(NodeId peer) {
    scheduler.execute(
        () -> {
          if (peers.remove(peer) != null) {
            dropInflight(peer);
            pump();
          }
        });
  }

  /** Whether {@code peer} is taking part (asked, not a liar). */
  boolean knows(NodeId peer) {
    return peers.containsKey(peer);
  }

  void onPresence(NodeId from, Presence p) {
    scheduler.execute(
        () -> {
          PeerView v = peers.get(from);
          if (v == null || v.liar || done.isDone()) {
            return;
          }
          switch (p.address()) {
            case Address.ByCid whole -> {
              v.answered = true;
              v.has.clear();
              if (p.have()) {
                p.leaves().ifPresentOrElse(v.has::or, () -> v.has.set(0, blocks));
                v.has.clear(blocks, Math.max(blocks, v.has.length()));
              }
            }
            case Address.Leaf leaf -> {
              if (leaf.index() >= blocks) {
                return;
              }
              if (p.have()) {
                v.has.set(leaf.index());
              } else {
                boolean claimed = v.has.get(leaf.index());
                v.has.clear(leaf.index());
                Inflight f = inflight.get(leaf.index());
                if (f != null && (from.equals(f.peer) || from.equals(f.second))) {
                  v.ledger.answered();
                  if (claimed) {
                    v.ledger.failed();
                  }
                  unassign(leaf.index(), f, from);
                }
              }
            }
          }
          pump();
        });
  }

  // ---- deliveries

  /**
   * A block from {@code from}: checked here (length, SHA-256, proof to the root), stored if it
   * holds, then accounted for on the scheduler.
   */
  void receive(NodeId from, int index, byte[] data, Optional<BlockProof> proof) {
    Hash digest = null;
    boolean ok =
        index < blocks
            && data.length == manifest.blockLength(index)
            && proof.isPresent()
            && proof.get().index() == index
            && proof.get().leaves() == blocks
            && proof
                .get()
                .verifies(digest = Hash.wrap(Sha256Hasher.threadDigest().digest(data)), root);
    if (ok) {
      if (!store.hasLeaf(tree, index)) {
        store.putLeaf(tree, index, Cid.of(Multicodec.RAW, digest), data, proof.get());
        hooks.stored(tree, index);
      }
      scheduler.execute(() -> delivered(from, index, data));
    } else {
      scheduler.execute(() -> lied(from, index));
    }
  }

  private void delivered(NodeId from, int index, byte[] data) {
    PeerView v = peers.get(from);
    Inflight f = inflight.get(index);
    long now = scheduler.clock().millis();
    if (v != null) {
      v.has.set(index);
      if (f != null && from.equals(f.peer)) {
        v.ledger.answered();
        v.ledger.delivered(data.length, now - f.sentAt);
      } else if (f != null && from.equals(f.second)) {
        v.ledger.answered();
        v.ledger.delivered(data.length, now - f.secondAt);
      }
    }
    if (have.get(index)) {
      duplicates++;
      return;
    }
    bytes += data.length;
    settled(index, data, from);
    repairIfReady();
    pump();
  }

  /**
   * Block {@code index} is stored here ({@code from} delivered it, or null: rebuilt): the peers
   * still asked for it are answered and cancelled, and its readers get it.
   */
  private void settled(int index, byte[] data, NodeId from) {
    have.set(index);
    Inflight f = inflight.remove(index);
    if (f != null) {
      for (NodeId other : new NodeId[] {f.peer, f.second}) {
        if (other != null && !other.equals(from)) {
          PeerView v = peers.get(other);
          if (v != null) {
            v.ledger.answered();
          }
          hooks.send(
              other, Messages.Message.of(List.of(Want.cancel(new Address.Leaf(tree, index)))));
        }
      }
    }
    List<CompletableFuture<byte[]>> w = waiters.remove(index);
    if (w != null) {
      w.forEach(x -> x.complete(data));
    }
  }

  private void lied(NodeId from, int index) {
    hooks.report(
        from, Offence.INVALID_PROOF, "block exchange: a wrong block " + index + " of " + tree);
    PeerView v = peers.get(from);
    if (v != null && !v.liar) {
      log.warn(
          "block exchange: {} sent a block {} of {} that does not verify; not asking it again",
          from,
          index,
          tree);
      v.liar = true;
      v.has.clear();
      dropInflight(from);
    }
    pump();
  }

  private void dropInflight(NodeId peer) {
    for (Map.Entry<Integer, Inflight> e : List.copyOf(inflight.entrySet())) {
      Inflight f = e.getValue();
      if (peer.equals(f.peer) || peer.equals(f.second)) {
        unassign(e.getKey(), f, peer);
      }
    }
  }

  /**
   * Takes {@code peer} off block {@code index}'s request; the other asked peer, if any, keeps it.
   */
  private void unassign(int index, Inflight f, NodeId peer) {
    if (peer.equals(f.second)) {
      f.second = null;
    } else if (f.second != null) {
      f.peer = f.second;
      f.sentAt = f.secondAt;
      f.second = null;
    } else {
      inflight.remove(index);
    }
  }

  // ---- planning

  private int readerPosition() {
    int first = have.nextClearBit(0);
    if (readers.isEmpty()) {
      return first;
    }
    int min = Integer.MAX_VALUE;
    for (int p : readers.values()) {
      min = Math.min(min, p);
    }
    return Math.max(first, have.nextClearBit(min));
  }

  private boolean complete() {
    return have.nextClearBit(0) >= target;
  }

  /**
   * Plans on the scheduler once for however many events arrived since the last plan: a burst of
   * deliveries costs one scan of the window, not one each.
   */
  private void pump() {
    if (!pumpQueued) {
      pumpQueued = true;
      scheduler.execute(this::plan);
    }
  }

  private void plan() {
    pumpQueued = false;
    if (done.isDone()) {
      return;
    }
    if (complete()) {
      finish();
      return;
    }
    int from = readerPosition();
    int to = (int) Math.min(target, (long) from + config.window());
    List<PeerView> usable = new ArrayList<>();
    for (PeerView v : peers.values()) {
      if (!v.liar) {
        usable.add(v);
      }
    }
    boolean allAnswered = !usable.isEmpty() && usable.stream().allMatch(v -> v.answered);
    // Each candidate's sort key: blocks a reader is about to need first, by index; then the rest
    // rarest first, equally rare ones in an order of this download's own (so downloaders that
    // start together ask the seeder for different blocks, as BitTorrent's random tie-break does).
    long[] keys = new long[Math.max(16, Math.min(to - from, 1 << 16))];
    int count = 0;
    boolean waiting = false;
    CandidateScan scan = new CandidateScan(from, to);
    for (int i = scan.next(); i >= 0; i = scan.next()) {
      int r = 0;
      for (PeerView v : usable) {
        if (v.has.get(i)) {
          r++;
        }
      }
      if (r == 0) {
        if (allAnswered && manifest.isProtected() && repair.isPresent()) {
          planRepair(i);
        }
        waiting = true;
        continue;
      }
      long rank = i - from < URGENT ? 0 : Math.min(r, 0xffff);
      long tie = rank == 0 ? 0 : mix(i) & 0xffffff;
      if (count == keys.length) {
        keys = java.util.Arrays.copyOf(keys, keys.length * 2);
      }
      keys[count++] = (rank << 48) | (tie << 24) | i;
    }
    java.util.Arrays.sort(keys, 0, count);
    SequencedMap<NodeId, List<Want>> out = new LinkedHashMap<>();
    long now = scheduler.clock().millis();
    for (int c = 0; c < count; c++) {
      int i = (int) (keys[c] & 0xffffff);
      PeerView best = cheapest(usable, i, null, config.perPeer());
      if (best == null) {
        waiting = true;
        if (noCapacity(usable)) {
          break;
        }
        continue;
      }
      inflight.put(i, new Inflight(best.id, now));
      best.ledger.asked();
      out.computeIfAbsent(best.id, k -> new ArrayList<>())
          .add(Want.block(new Address.Leaf(tree, i), -i));
    }
    if (!waiting && to == target && inflight.size() <= config.endGame()) {
      endGame(usable, out, now);
    }
    out.forEach((peer, wants) -> hooks.send(peer, Messages.Message.of(wants)));
  }

  /** Blocks a reader is about to need, fetched strictly in order before any other. */
  static final int URGENT = 16;

  private boolean noCapacity(List<PeerView> usable) {
    for (PeerView v : usable) {
      if (v.ledger.outstanding() < config.perPeer()) {
        return false;
      }
    }
    return true;
  }

  /** A fixed pseudo-random permutation of indexes, seeded per download. */
  private long mix(int index) {
    long z = index ^ seed;
    z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
    z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
    return z ^ (z >>> 33);
  }

  /**
   * The missing blocks not in flight: within the window, then those behind it (a reader that jumped
   * ahead), then members of groups being repaired outside it.
   */
  private final class CandidateScan {
    private final int from;
    private final int to;
    private int phase;
    private int at;

    CandidateScan(int from, int to) {
      this.from = from;
      this.to = to;
      this.at = from - 1;
    }

    int next() {
      while (phase < 3) {
        int i =
            switch (phase) {
              case 0 -> have.nextClearBit(at + 1);
              case 1 -> have.nextClearBit(at + 1);
              default -> repairTargets.nextSetBit(at + 1);
            };
        int end = phase == 0 ? to : phase == 1 ? from : Integer.MAX_VALUE;
        if (i < 0 || i >= end) {
          phase++;
          at = phase == 1 ? -1 : -1;
          continue;
        }
        at = i;
        if (inflight.containsKey(i)
            || have.get(i)
            || rebuilt.containsKey(i)
            || (phase == 2 && i >= from && i < to)) {
          continue;
        }
        return i;
      }
      return -1;
    }
  }

  private PeerView cheapest(List<PeerView> usable, int index, NodeId not, int depth) {
    PeerView best = null;
    double bestCost = 0;
    for (PeerView v : usable) {
      if (v.has.get(index) && v.ledger.outstanding() < depth && !v.id.equals(not)) {
        // A little noise, so equal peers share the load instead of the first taking it all.
        double c = v.ledger.cost() * (1 + random.nextInt(64) / 1024.0);
        if (best == null || c < bestCost) {
          best = v;
          bestCost = c;
        }
      }
    }
    return best;
  }

  private void endGame(List<PeerView> usable, SequencedMap<NodeId, List<Want>> out, long now) {
    for (Map.Entry<Integer, Inflight> e : inflight.entrySet()) {
      Inflight f = e.getValue();
      if (f.second != null) {
        continue;
      }
      PeerView other = cheapest(usable, e.getKey(), f.peer, 2 * config.perPeer());
      if (other != null) {
        f.second = other.id;
        f.secondAt = now;
        other.ledger.asked();
        out.computeIfAbsent(other.id, k -> new ArrayList<>())
            .add(Want.block(new Address.Leaf(tree, e.getKey()), -e.getKey()));
      }
    }
  }

  private void tick() {
    if (done.isDone()) {
      return;
    }
    long now = scheduler.clock().millis();
    long timeout = config.requestTimeout().toMillis();
    for (Map.Entry<Integer, Inflight> e : List.copyOf(inflight.entrySet())) {
      Inflight f = e.getValue();
      if (f.second != null && now - f.secondAt > timeout) {
        timedOut(e.getKey(), f, f.second);
      }
      if (now - f.sentAt > timeout && inflight.get(e.getKey()) == f) {
        timedOut(e.getKey(), f, f.peer);
      }
    }
    pump();
    timer = scheduler.schedule(config.tick(), this::tick);
  }

  private void timedOut(int index, Inflight f, NodeId peer) {
    PeerView v = peers.get(peer);
    if (v != null) {
      v.ledger.answered();
      v.ledger.failed();
      // Not asked for this block again unless it says HAVE anew.
      v.has.clear(index);
      hooks.send(peer, Messages.Message.of(List.of(Want.cancel(new Address.Leaf(tree, index)))));
    }
    unassign(index, f, peer);
  }

  // ---- erasure repair

  private void planRepair(int index) {
    Protection p = manifest.protection().orElseThrow();
    int step = p.group(index, manifest.blockSize());
    if (repairPlanned.get(step)) {
      return;
    }
    repairPlanned.set(step);
    for (int m : p.members(step, manifest.blockSize())) {
      if (!have.get(m)) {
        repairTargets.set(m);
      }
    }
    log.info(
        "block exchange: no peer has block {} of {}; repairing its group {}", index, tree, step);
    repairIfReady();
  }

  private void repairIfReady() {
    if (repairPlanned.isEmpty()) {
      return;
    }
    Protection p = manifest.protection().orElseThrow();
    int size = manifest.blockSize();
    for (int step = repairPlanned.nextSetBit(0);
        step >= 0;
        step = repairPlanned.nextSetBit(step + 1)) {
      int[] members = p.members(step, size);
      int held = 0;
      boolean missingData = false;
      for (int j = 0; j < members.length; j++) {
        if (have.get(members[j]) || padding(p, members[j])) {
          held++;
        } else if (j < p.k() && members[j] < target) {
          missingData = true;
        }
      }
      if (!missingData) {
        repairPlanned.clear(step);
        continue;
      }
      if (held >= p.k()) {
        repairPlanned.clear(step);
        rebuild(p, step, members);
      }
    }
  }

  /** Zero blocks after the original's data: never fetched, known without asking. */
  private boolean padding(Protection p, int index) {
    return index >= target && index < p.k() * p.steps(manifest.blockSize());
  }

  private void rebuild(Protection p, int step, int[] members) {
    byte[][] shards = new byte[members.length][];
    for (int j = 0; j < members.length; j++) {
      if (have.get(members[j])) {
        shards[j] = store.leaf(tree, members[j]).map(BlockStore.Leaf::data).orElse(null);
      }
    }
    byte[][] full = repair.orElseThrow().repair(p, manifest.blockSize(), step, shards);
    for (int j = 0; j < members.length; j++) {
      if (shards[j] == null && !have.get(members[j])) {
        rebuilt.put(members[j], full[j]);
        rebuiltDigests.put(members[j], Hash.wrap(Sha256Hasher.threadDigest().digest(full[j])));
      }
    }
    proveRebuilt();
  }

  /**
   * Stores the rebuilt blocks whose proofs can now be derived: from held leaves and the other
   * rebuilt blocks. One whose neighbours are still being rebuilt waits for them; one whose derived
   * proof fails means the dataset's parity does not match its tree, and ends the download.
   */
  private void proveRebuilt() {
    TreeMap<Integer, Hash> digests = new TreeMap<>(rebuiltDigests);
    RepairProofs proofs = new RepairProofs(store, tree, blocks, (BitSet) have.clone(), digests);
    for (Map.Entry<Integer, byte[]> e : List.copyOf(rebuilt.entrySet())) {
      int index = e.getKey();
      Optional<BlockProof> proof = proofs.prove(index);
      if (proof.isEmpty()) {
        continue;
      }
      if (!proof.get().verifies(digests.get(index), root)) {
        fail(
            new FerryException(
                ErrorCode.VERIFICATION_FAILED,
                "block "
                    + index
                    + " of "
                    + tree
                    + " rebuilt by erasure decoding is not under the tree root: the dataset's"
                    + " parity does not match its tree"));
        return;
      }
      rebuilt.remove(index);
      rebuiltDigests.remove(index);
      byte[] data = e.getValue();
      store.putLeaf(tree, index, Cid.of(Multicodec.RAW, digests.get(index)), data, proof.get());
      hooks.stored(tree, index);
      repairTargets.clear(index);
      repaired++;
      settled(index, data, null);
    }
  }

  // ---- the end

  private void finish() {
    cancelAll();
    log.info(
        "block exchange: {} complete: {} blocks, {} bytes fetched, {} repaired, {} duplicates",
        manifestCid,
        target,
        bytes,
        repaired,
        duplicates);
    release();
    done.complete(null);
    hooks.finished(this);
  }

  /** Ends the download with {@code e}: its readers fail, its blocks stay stored. */
  void fail(FerryException e) {
    scheduler.execute(
        () -> {
          if (done.isDone()) {
            return;
          }
          cancelAll();
          release();
          waiters.values().forEach(w -> w.forEach(x -> x.completeExceptionally(e)));
          waiters.clear();
          done.completeExceptionally(e);
          hooks.finished(this);
        });
  }

  private void cancelAll() {
    if (timer != null) {
      timer.cancel();
    }
    SequencedMap<NodeId, List<Want>> cancels = new LinkedHashMap<>();
    for (Map.Entry<Integer, Inflight> e : inflight.entrySet()) {
      for (NodeId n : new NodeId[] {e.getValue().peer, e.getValue().second}) {
        if (n != null) {
          cancels
              .computeIfAbsent(n, k -> new ArrayList<>())
              .add(Want.cancel(new Address.Leaf(tree, e.getKey())));
        }
      }
    }
    inflight.clear();
    for (PeerView v : peers.values()) {
      cancels
          .computeIfAbsent(v.id, k -> new ArrayList<>())
          .add(Want.cancel(new Address.ByCid(tree)));
    }
    cancels.forEach((peer, wants) -> hooks.send(peer, Messages.Message.of(wants)));
  }

  private void release() {
    try {
      hold.close();
    } catch (Exception e) {
      log.warn("block exchange: releasing the hold on {}: {}", tree, e.toString());
    }
  }

  /** Counts now; call on the scheduler or accept a racy view. */
  public CompletableFuture<Progress> progress() {
    CompletableFuture<Progress> f = new CompletableFuture<>();
    scheduler.execute(
        () ->
            f.complete(
                new Progress(
                    target,
                    Math.min(target, have.get(0, target).cardinality()),
                    bytes,
                    peers.size(),
                    inflight.size(),
                    duplicates,
                    repaired)));
    return f;
  }

  /** Per-peer ledgers, for status; on the scheduler. */
  CompletableFuture<Map<NodeId, Ledger>> ledgers() {
    CompletableFuture<Map<NodeId, Ledger>> f = new CompletableFuture<>();
    scheduler.execute(
        () -> {
          Map<NodeId, Ledger> m = new LinkedHashMap<>();
          peers.forEach((k, v) -> m.put(k, v.ledger));
          f.complete(m);
        });
    return f;
  }
}
