package io.ferry.gossip.discovery;

import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.ContactInfo;
import io.ferry.gossip.value.Result;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.Transport;
import io.ferry.net.peers.PeerKeeper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the nodes of a network through gossip and keeps this node connected to a bounded, random
 * subset of them: what {@code ferry node --entrypoint HOST:PORT} runs.
 *
 * <ul>
 *   <li><b>Entrypoints</b>: addresses without ids, dialled (and redialled with the config's {@link
 *       io.ferry.net.peers.Backoff}, by a {@link PeerKeeper}) while this node knows no contact or
 *       has no peer at all. Once it has both they are released, and a connection to an entrypoint
 *       that discovery did not choose is closed as soon as a chosen peer is connected, so
 *       entrypoints do not collect every newcomer's connection.
 *   <li><b>Contacts</b>: the {@link ValueKind#CONTACT_INFO} values of the {@link GossipPlane}
 *       (judged and signed there; a contact lives as long as its value), except this node's own.
 *   <li><b>Chosen peers</b>: up to {@link DiscoveryConfig#maxOutbound} contacts picked at random
 *       and dialled with their id, so an address that now belongs to another key is refused. A
 *       chosen peer whose dial fails or whose connection drops is replaced at once by another
 *       random contact; it may be chosen again after a backoff that grows with its failures in a
 *       row. After {@link DiscoveryConfig#maxFailures} it is forgotten until its origin signs its
 *       contact info again (a restart, or the plane's refresh); forgotten contacts are tried, at
 *       the backoff's ceiling, only when no other contact is left to choose. Banned peers, this
 *       node and {@code pinned} peers (the static {@code --peer}s, kept by their own keeper) are
 *       never chosen.
 *   <li><b>Rotation</b>: every {@link DiscoveryConfig#rotateInterval}, when the chosen set is full
 *       and another contact could take a place, one chosen peer is disconnected and replaced, so a
 *       node's peers do not freeze into the first it found.
 * </ul>
 *
 * <p>The inbound side is the transport's: {@link io.ferry.net.peers.PeerManager.Config#maxInbound}
 * refuses connections beyond it. A peer that dialled this node may also be chosen; the one
 * connection then serves both.
 *
 * <p>All work runs on the given {@link Scheduler}, with randomness from the given source, so the
 * simulator replays it; transport callbacks only queue work there. Accessors are safe from any
 * thread.
 */
public final class Discovery implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(Discovery.class);

  /** Counts since start. */
  public record Stats(long dials, long dialFailures, long lost, long rotated, long forgotten) {}

  /** A node learned from its contact info. */
  private static final class Contact {
    final NodeId id;
    PeerAddress address;
    long wallclock;
    Bytes payload;
    int failures;
    long retryAtNanos;
    boolean forgotten;

    Contact(NodeId id) {
      this.id = id;
    }
  }

  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final GossipPlane plane;
  private final DiscoveryConfig config;
  private final List<PeerAddress> entrypoints;
  private final Predicate<NodeId> pinned;
  private final PeerKeeper entrypointKeeper;
  private final PeerListener listener;

  // Touched on the scheduler only; ordered, so what is dialled replays in the simulator.
  private final SequencedMap<NodeId, Contact> contacts = new LinkedHashMap<>();
  private final SequencedSet<NodeId> chosen = new LinkedHashSet<>();
  private final SequencedSet<NodeId> dialling = new LinkedHashSet<>();
  private final SequencedSet<NodeId> entrypointPeers = new LinkedHashSet<>();
  private final List<Cancellable[]> timers = new ArrayList<>();
  private boolean keepingEntrypoints;
  private boolean maintainQueued;

  private volatile boolean closed;
  private volatile List<NodeId> chosenView = List.of();
  private volatile int known;
  private final AtomicLong dials = new AtomicLong();
  private final AtomicLong dialFailures = new AtomicLong();
  private final AtomicLong lost = new AtomicLong();
  private final AtomicLong rotated = new AtomicLong();
  private final AtomicLong forgotten = new AtomicLong();

  private Discovery(
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      GossipPlane plane,
      DiscoveryConfig config,
      List<PeerAddress> entrypoints,
      Predicate<NodeId> pinned) {
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.plane = plane;
    this.config = config;
    // A list shared by every node of a cluster names this one too: it would only be refused.
    this.entrypoints =
        entrypoints.stream()
            .filter(e -> !e.hostPort().equals(transport.address().hostPort()))
            .toList();
    this.pinned = pinned;
    this.entrypointKeeper = new PeerKeeper(transport, scheduler, random.fork(), config.backoff());
    this.listener =
        new PeerListener() {
          @Override
          public void onDisconnected(NodeId peer, String reason) {
            scheduler.execute(() -> onLost(peer, reason));
          }
        };
  }

  /**
   * Starts discovering on {@code plane}'s contacts and keeping peers connected.
   *
   * @param scheduler the plane's: contacts are read, and peers chosen, on it
   * @param entrypoints dialled while this node knows no one; may be empty (a node that only learns
   *     from the peers it has)
   * @param pinned peers kept by someone else (static peers): never chosen, never disconnected
   */
  public static Discovery start(
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      GossipPlane plane,
      DiscoveryConfig config,
      List<PeerAddress> entrypoints,
      Predicate<NodeId> pinned) {
    Discovery d = new Discovery(transport, scheduler, random, plane, config, entrypoints, pinned);
    transport.addListener(d.listener);
    plane.subscribe(ValueKind.CONTACT_INFO, (value, from) -> scheduler.execute(d::requestMaintain));
    scheduler.execute(d::begin);
    return d;
  }

  private void begin() {
    if (closed) {
      return;
    }
    every(config.maintainInterval(), this::maintain);
    every(config.rotateInterval(), this::rotate);
    maintain();
  }

  /** Runs {@code task} every {@code interval} until closed. */
  private void every(Duration interval, Runnable task) {
    Cancellable[] next = new Cancellable[1];
    Runnable[] loop = new Runnable[1];
    loop[0] =
        () -> {
          if (!closed) {
            task.run();
            next[0] = scheduler.schedule(interval, loop[0]);
          }
        };
    next[0] = scheduler.schedule(interval, loop[0]);
    timers.add(next);
  }

  // ------------------------------------------------------------------ accessors

  public DiscoveryConfig config() {
    return config;
  }

  /** The peers discovery has chosen now (connected, or being dialled), in the order chosen. */
  public List<NodeId> chosen() {
    return chosenView;
  }

  /** Contacts known now, this node's own excluded. */
  public int known() {
    return known;
  }

  public Stats stats() {
    return new Stats(dials.get(), dialFailures.get(), lost.get(), rotated.get(), forgotten.get());
  }

  // ------------------------------------------------------------------ keeping the chosen set

  /** Maintains soon, once however many events ask for it before then. */
  private void requestMaintain() {
    if (!maintainQueued && !closed) {
      maintainQueued = true;
      scheduler.execute(this::maintain);
    }
  }

  private void maintain() {
    maintainQueued = false;
    if (closed) {
      return;
    }
    long now = scheduler.clock().nanos();
    syncContacts(now);
    SortedSet<NodeId> peers = transport.peers();
    for (NodeId id : List.copyOf(chosen)) {
      if (transport.peerManager().isBanned(id)) {
        chosen.remove(id); // the transport has dropped it; never chosen again while banned
      } else if (!dialling.contains(id) && !peers.contains(id)) {
        drop(id, "not connected", now); // its disconnect event is still on its way
      }
    }
    fill(now);
    tendEntrypoints(peers);
    chosenView = List.copyOf(chosen);
  }

  /** Brings {@link #contacts} in line with the plane's contact values. */
  private void syncContacts(long now) {
    Set<NodeId> present = new HashSet<>(); // lookups only
    for (SignedValue v : plane.values(ValueKind.CONTACT_INFO)) {
      if (v.origin().equals(transport.localId())) {
        continue;
      }
      Contact c = contacts.get(v.origin());
      if (c != null && c.wallclock == v.wallclock() && c.payload.equals(v.payload())) {
        present.add(c.id);
        continue;
      }
      Optional<PeerAddress> address = address(v);
      if (address.isEmpty()) {
        continue;
      }
      present.add(v.origin());
      if (c == null) {
        c = new Contact(v.origin());
        contacts.put(c.id, c);
      } else if (c.forgotten) {
        // Signed again: it may be back (a restart, a new address). One more try.
        c.forgotten = false;
        c.failures = config.maxFailures() - 1;
        c.retryAtNanos = now;
        log.debug("peer {} signed its contact again; trying it once more", c.id.shortString());
      }
      c.address = address.get();
      c.wallclock = v.wallclock();
      c.payload = v.payload();
    }
    // Expired values take their contacts along; a chosen peer stays until its connection ends.
    contacts.keySet().removeIf(id -> !present.contains(id));
    known = contacts.size();
  }

  /** The address a contact value names, with its origin's id; empty if it names none. */
  private static Optional<PeerAddress> address(SignedValue v) {
    if (!(ContactInfo.decode(v.payload()) instanceof Result.Ok<ContactInfo> ok)) {
      return Optional.empty(); // the plane's rules refuse these; a value stored before, say
    }
    try {
      return Optional.of(PeerAddress.parse(ok.value().p2p()).withId(v.origin()));
    } catch (FerryException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** Chooses random contacts until the chosen set is full or none is left. */
  private void fill(long now) {
    if (chosen.size() >= config.maxOutbound()) {
      return;
    }
    List<Contact> candidates = candidates(now, false);
    if (candidates.isEmpty() && !hasSpare(false)) {
      candidates = candidates(now, true); // the last resort: contacts that failed repeatedly
    }
    while (chosen.size() < config.maxOutbound() && !candidates.isEmpty()) {
      dial(candidates.remove(random.nextInt(candidates.size())));
    }
  }

  /** Contacts that may be chosen now: forgotten ones or the others. */
  private List<Contact> candidates(long now, boolean forgottenOnes) {
    List<Contact> out = new ArrayList<>();
    for (Contact c : contacts.values()) {
      if (c.forgotten == forgottenOnes && c.retryAtNanos <= now && choosable(c.id)) {
        out.add(c);
      }
    }
    return out;
  }

  /** Whether a contact, forgotten or not as asked, could be chosen once its backoff ends. */
  private boolean hasSpare(boolean forgottenOnes) {
    for (Contact c : contacts.values()) {
      if (c.forgotten == forgottenOnes && choosable(c.id)) {
        return true;
      }
    }
    return false;
  }

  private boolean choosable(NodeId id) {
    return !chosen.contains(id)
        && !id.equals(transport.localId())
        && !pinned.test(id)
        && !transport.peerManager().isBanned(id);
  }

  private void dial(Contact c) {
    chosen.add(c.id);
    dialling.add(c.id);
    dials.incrementAndGet();
    NodeId id = c.id;
    log.debug("dialling {}", c.address);
    transport
        .connect(c.address)
        .whenComplete((peer, error) -> scheduler.execute(() -> onDialled(id, error)));
  }

  private void onDialled(NodeId id, Throwable error) {
    dialling.remove(id);
    if (closed) {
      return;
    }
    Contact c = contacts.get(id);
    if (error == null) {
      if (c != null) {
        c.failures = 0;
        c.forgotten = false;
      }
      return;
    }
    dialFailures.incrementAndGet();
    if (chosen.remove(id)) {
      Throwable cause = error.getCause() != null ? error.getCause() : error;
      failed(c, "dial failed: " + cause.getMessage(), scheduler.clock().nanos());
      requestMaintain();
    }
  }

  private void onLost(NodeId id, String reason) {
    if (closed || dialling.contains(id) || !chosen.contains(id)) {
      return; // not ours, or the dial in flight will tell
    }
    drop(id, "disconnected (" + reason + ")", scheduler.clock().nanos());
    requestMaintain();
  }

  private void drop(NodeId id, String why, long now) {
    chosen.remove(id);
    lost.incrementAndGet();
    failed(contacts.get(id), why, now);
  }

  /** Counts a failure of {@code c}: a backoff, or forgetting it after too many in a row. */
  private void failed(Contact c, String why, long now) {
    if (c == null) {
      return; // its value expired meanwhile
    }
    c.failures++;
    if (c.failures < config.maxFailures()) {
      Duration wait = config.backoff().delay(c.failures - 1, random);
      c.retryAtNanos = now + wait.toNanos();
      log.debug("peer {}: {}; may be chosen again in {} ms", c.address, why, wait.toMillis());
      return;
    }
    c.retryAtNanos = now + config.backoff().max().toNanos();
    if (!c.forgotten) {
      c.forgotten = true;
      forgotten.incrementAndGet();
      log.info(
          "peer {}: {}; forgotten after {} failures until it signs its contact again",
          c.address,
          why,
          c.failures);
    }
  }

  /** Swaps one chosen, connected peer for another contact, when there is one to take its place. */
  private void rotate() {
    long now = scheduler.clock().nanos();
    if (chosen.size() < config.maxOutbound() || candidates(now, false).isEmpty()) {
      return;
    }
    SortedSet<NodeId> peers = transport.peers();
    List<NodeId> connected = new ArrayList<>();
    for (NodeId id : chosen) {
      if (peers.contains(id) && !dialling.contains(id)) {
        connected.add(id);
      }
    }
    if (connected.isEmpty()) {
      return;
    }
    NodeId out = connected.get(random.nextInt(connected.size()));
    chosen.remove(out);
    rotated.incrementAndGet();
    Contact c = contacts.get(out);
    if (c != null) {
      c.retryAtNanos = now + config.rotateInterval().toNanos(); // make room for someone else
    }
    log.debug("rotating out {} for diversity", out.shortString());
    transport.disconnect(out, "rotated out");
    maintain();
  }

  // ------------------------------------------------------------------ entrypoints

  /**
   * Keeps the entrypoints while this node knows no contact or has no peer; otherwise releases them,
   * and closes a connection they made that discovery did not choose once a chosen one is up.
   */
  private void tendEntrypoints(SortedSet<NodeId> peers) {
    if (entrypoints.isEmpty()) {
      return;
    }
    boolean needed = contacts.isEmpty() || peers.isEmpty();
    if (needed && !keepingEntrypoints) {
      keepingEntrypoints = true;
      log.info("dialling entrypoints {}", entrypoints);
      entrypoints.forEach(entrypointKeeper::keep);
    } else if (!needed && keepingEntrypoints) {
      keepingEntrypoints = false;
      for (PeerAddress e : entrypoints) {
        entrypointKeeper.release(e).ifPresent(entrypointPeers::add);
      }
      log.info("entrypoints released: {} contact(s) known", contacts.size());
    }
    if (entrypointPeers.isEmpty() || keepingEntrypoints) {
      return;
    }
    boolean chosenUp = false;
    for (NodeId id : chosen) {
      chosenUp |= peers.contains(id) && !dialling.contains(id);
    }
    if (!chosenUp) {
      return;
    }
    for (NodeId id : entrypointPeers) {
      if (peers.contains(id) && !chosen.contains(id) && !pinned.test(id)) {
        transport.disconnect(id, "entrypoint no longer needed");
      }
    }
    entrypointPeers.clear();
  }

  /** Stops choosing, dialling and redialling; connections stay open. Idempotent. */
  @Override
  public void close() {
    closed = true;
    transport.removeListener(listener);
    entrypointKeeper.close();
    scheduler.execute(
        () -> {
          timers.forEach(t -> t[0].cancel());
          timers.clear();
        });
  }
}
