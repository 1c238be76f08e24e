package io.ferry.gossip.plane;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.Hash;
import io.ferry.core.Limits;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.PeerRateLimit;
import io.ferry.gossip.store.BloomFilter;
import io.ferry.gossip.store.ValueStore;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKey;
import io.ferry.gossip.value.ValueKind;
import io.ferry.gossip.value.ValueRules;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import io.ferry.wire.v1.GossipMessage;
import io.ferry.wire.v1.GossipRequest;
import io.ferry.wire.v1.Prune;
import io.ferry.wire.v1.PullRequest;
import io.ferry.wire.v1.PullResponse;
import io.ferry.wire.v1.Push;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.Set;
import java.util.SortedSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gossip plane: a {@link ValueStore} of signed values kept alike on every node of a network, on
 * {@link ProtocolId#GOSSIP}. Agave's cluster info, on Ferry's authenticated transport.
 *
 * <ul>
 *   <li><b>Publish</b>: a node signs its own values ({@link #publish}) and signs them again every
 *       refresh interval, so they outlive the {@link GossipConfig#ttl} only while it runs.
 *   <li><b>Push</b>: every value newly taken (own, pushed or pulled) is queued, and each push
 *       interval the queue goes in one message to each peer of the <i>active set</i> ({@link
 *       GossipConfig#fanout} random peers, chosen again every rotate interval), except to the peer
 *       it came from, its origin, and peers that pruned its origin.
 *   <li><b>Prune</b>: the first {@link #PUSH_PATHS_KEPT} peers that push a node an origin's values
 *       in a rotation are its paths for that origin, whether they brought a value first or as a
 *       duplicate; a node that receives by push a value it holds already from any other peer tells
 *       that sender to stop pushing that origin's values. So each node keeps a couple of paths per
 *       origin, also for origins whose values it first had by pull, and redundant pushes die out.
 *   <li><b>Pull</b>: each pull interval, and as soon as a peer connects, a node sends a random peer
 *       a {@link BloomFilter} of the hashes it holds in a random part of the store (a hash prefix,
 *       so a filter stays within {@link Limits#MAX_BLOOM_FILTER_BYTES}), with its own contact info,
 *       and takes what the answer brings: the repair for anything push missed.
 * </ul>
 *
 * <p>Every value is judged by the {@link ValueRules} before it is stored or relayed; a value the
 * store would not take (held already, or older) is dropped before its signature is checked, so
 * replays cost a hash. A refusal that an honest peer cannot cause (a bad signature, a broken rule,
 * a wallclock from the future) is reported to the peer manager, which bans repeat offenders; the
 * rest of that message is dropped. A peer of another network is refused and disconnected. Each peer
 * may send {@link Limits#MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND} messages a second.
 *
 * <p>All work runs on the given {@link Scheduler}, with randomness from the given source, so the
 * simulator runs it; subscribers are called there. The store is safe to read from any thread.
 */
public final class GossipPlane implements AutoCloseable {
  /** Peers per origin kept as push paths in a rotation; later redundant senders are pruned. */
  static final int PUSH_PATHS_KEPT = 2;

  /** Peers whose message rate is tracked; more than a node ever connects to. */
  private static final int MAX_RATE_TRACKED_PEERS = 4096;

  /** Target false-positive rate of a pull's Bloom filter. */
  private static final double BLOOM_FALSE_POSITIVES = 0.1;

  private static final Logger log = LoggerFactory.getLogger(GossipPlane.class);

  /** Counts since start. */
  public record Stats(
      long taken,
      long duplicates,
      long refused,
      long offences,
      long messagesSent,
      long bytesSent,
      long pulls,
      long pruned,
      long throttled) {}

  private record Queued(SignedValue value, NodeId from) {}

  private record Own(ValueKind kind, Bytes index, Bytes payload) {}

  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final NodeKey key;
  private final GossipConfig config;
  private final ValueRules rules;
  private final ValueStore store = new ValueStore(Limits.MAX_GOSSIP_VALUES);
  private final Map<ValueKind, List<ValueListener>> subscribers = new EnumMap<>(ValueKind.class);
  private final PeerRateLimit rate;
  private final PeerRateLimit originRate;

  private final AtomicLong taken = new AtomicLong();
  private final AtomicLong duplicates = new AtomicLong();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong offences = new AtomicLong();
  private final AtomicLong messagesSent = new AtomicLong();
  private final AtomicLong bytesSent = new AtomicLong();
  private final AtomicLong pulls = new AtomicLong();
  private final AtomicLong pruned = new AtomicLong();
  private final AtomicLong throttled = new AtomicLong();

  // Touched on the scheduler only; ordered collections, so what is sent replays.
  private final SequencedMap<ValueKey, Own> own = new LinkedHashMap<>();
  private final SequencedMap<ValueKey, Long> lastWallclock = new LinkedHashMap<>();
  private final List<Queued> pushQueue = new ArrayList<>();
  private final List<NodeId> activeSet = new ArrayList<>();
  private final SequencedMap<NodeId, SequencedSet<NodeId>> prunedBy = new LinkedHashMap<>();
  private final SequencedMap<NodeId, SequencedSet<NodeId>> pushPaths = new LinkedHashMap<>();
  private final SequencedMap<NodeId, SequencedSet<NodeId>> prunesToSend = new LinkedHashMap<>();
  private final List<Cancellable[]> timers = new ArrayList<>();
  private volatile boolean closed;

  private GossipPlane(
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      NodeKey key,
      GossipConfig config,
      ValueRules rules) {
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.key = key;
    this.config = config;
    this.rules = rules;
    this.rate =
        new PeerRateLimit(
            scheduler.clock(),
            Limits.MAX_GOSSIP_MESSAGES_PER_PEER_PER_SECOND,
            Limits.MAX_GOSSIP_MESSAGE_BURST,
            MAX_RATE_TRACKED_PEERS);
    this.originRate =
        new PeerRateLimit(
            scheduler.clock(),
            Limits.MAX_GOSSIP_VALUES_PER_ORIGIN_PER_SECOND,
            2 * Limits.MAX_GOSSIP_VALUES_PER_ORIGIN_PER_SECOND,
            MAX_RATE_TRACKED_PEERS);
  }

  /**
   * Registers the gossip protocol on {@code transport} and starts pushing, pulling and refreshing.
   *
   * @param rules judge every value; must name {@code config}'s network and hold a rule for each
   *     kind this node keeps
   */
  public static GossipPlane start(
      Transport transport,
      Scheduler scheduler,
      RandomSource random,
      NodeKey key,
      GossipConfig config,
      ValueRules rules) {
    if (!rules.network().equals(config.network())) {
      throw new IllegalArgumentException(
          "rules of network " + rules.network() + " for a plane of " + config.network());
    }
    GossipPlane plane = new GossipPlane(transport, scheduler, random, key, config, rules);
    transport.register(ProtocolId.GOSSIP, plane.new Handler());
    transport.addListener(
        new PeerListener() {
          @Override
          public void onConnected(NodeId peer, boolean outbound) {
            scheduler.execute(() -> plane.pull(peer));
          }
        });
    scheduler.execute(plane::startTimers);
    return plane;
  }

  private void startTimers() {
    every(config.pushInterval(), this::flush);
    every(config.pullInterval(), this::pullRound);
    every(config.rotateInterval(), this::rotate);
    every(config.refreshInterval(), this::refresh);
  }

  /** Runs {@code task} every {@code interval} until closed. */
  private void every(java.time.Duration interval, Runnable task) {
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

  public GossipConfig config() {
    return config;
  }

  public NodeId localId() {
    return key.id();
  }

  /**
   * Tells {@code listener} of every value of {@code kind} this node takes from a peer from now on
   * (not of its own), on the scheduler.
   */
  public void subscribe(ValueKind kind, ValueListener listener) {
    synchronized (subscribers) {
      subscribers.computeIfAbsent(kind, k -> new CopyOnWriteArrayList<>()).add(listener);
    }
  }

  /**
   * Signs {@code payload} as this node's value of {@code kind} (for {@code index}), stores it,
   * queues it for push, and keeps signing it again each refresh interval until replaced.
   */
  public void publish(ValueKind kind, Bytes index, Bytes payload) {
    scheduler.execute(
        () -> {
          if (!closed) {
            ValueKey k = new ValueKey(key.id(), kind, index);
            own.put(k, new Own(kind, index, payload));
            signAndQueue(k, own.get(k));
          }
        });
  }

  /**
   * Stops signing this node's value of {@code kind} for {@code index} again: peers drop it when it
   * expires, a time-to-live after it was last signed. Nothing if it was not published.
   */
  public void withdraw(ValueKind kind, Bytes index) {
    scheduler.execute(() -> own.remove(new ValueKey(key.id(), kind, index)));
  }

  /** Publishes an unindexed value. */
  public void publish(ValueKind kind, Bytes payload) {
    publish(kind, Bytes.EMPTY, payload);
  }

  private void signAndQueue(ValueKey k, Own o) {
    // Strictly increasing per key, so a value published twice in one millisecond still replaces.
    long wallclock = Math.max(wallclockNow(), lastWallclock.getOrDefault(k, -1L) + 1);
    lastWallclock.put(k, wallclock);
    SignedValue v =
        SignedValue.sign(key, config.network(), o.kind(), wallclock, o.index(), o.payload());
    if (store.offer(v, v.hash()).taken()) {
      pushQueue.add(new Queued(v, null));
    }
  }

  /**
   * Calendar milliseconds, as values carry them: nodes compare each other's wallclocks, so they
   * must share an epoch ({@link io.ferry.core.runtime.Clock#millis} is monotonic time, whose origin
   * differs from one machine to the next).
   */
  private long wallclockNow() {
    return scheduler.clock().instant().toEpochMilli();
  }

  /** The values of {@code kind} held now, in the order they were first stored. */
  public List<SignedValue> values(ValueKind kind) {
    return store.values(kind);
  }

  /** The value {@code origin} published of an unindexed {@code kind}, if held. */
  public Optional<SignedValue> get(NodeId origin, ValueKind kind) {
    return store.get(new ValueKey(origin, kind, Bytes.EMPTY));
  }

  public int size() {
    return store.size();
  }

  public Stats stats() {
    return new Stats(
        taken.get(),
        duplicates.get(),
        refused.get(),
        offences.get(),
        messagesSent.get(),
        bytesSent.get(),
        pulls.get(),
        pruned.get(),
        throttled.get());
  }

  // ------------------------------------------------------------------ taking values

  /**
   * Judges and stores the values {@code from} sent; returns false when one cost it an offence (the
   * rest are then dropped).
   */
  private boolean take(NodeId from, List<io.ferry.wire.v1.SignedValue> values, boolean pushed) {
    long now = wallclockNow();
    for (io.ferry.wire.v1.SignedValue proto : values) {
      if (proto.getKind() == io.ferry.wire.v1.ValueKind.UNRECOGNIZED) {
        // A kind a newer node added: not stored or relayed here, and no fault of the sender.
        refused.incrementAndGet();
        log.debug("ignored a value of unknown kind {} from {}", proto.getKindValue(), from);
        continue;
      }
      SignedValue v;
      try {
        v = SignedValue.fromProto(proto);
      } catch (FerryException e) {
        offend(from, Offence.MALFORMED_MESSAGE, e.getMessage());
        return false;
      }
      Hash hash = v.hash();
      ValueStore.Outcome seen = store.wouldTake(v, hash);
      if (!seen.taken()) {
        duplicates.incrementAndGet();
        if (pushed && seen != ValueStore.Outcome.FULL) {
          notePrune(from, v.origin());
        }
        continue;
      }
      if (pushed && !originRate.tryTake(v.origin())) {
        throttled.incrementAndGet();
        continue; // comes by pull, if it is still the newest then
      }
      Optional<ValueRules.Refusal> refusal = rules.judge(v, now);
      if (refusal.isPresent()) {
        refused.incrementAndGet();
        Optional<Offence> offence = refusal.get().reason().offence();
        if (offence.isPresent()) {
          offend(from, offence.get(), v + ": " + refusal.get().detail());
          return false;
        }
        log.debug("ignored {} from {}: {}", v, from.shortString(), refusal.get().detail());
        continue;
      }
      if (store.offer(v, hash).taken()) {
        taken.incrementAndGet();
        if (pushed) {
          notePath(from, v.origin());
        }
        pushQueue.add(new Queued(v, from));
        notify(v, from);
      }
    }
    return true;
  }

  private void notify(SignedValue v, NodeId from) {
    List<ValueListener> listeners;
    synchronized (subscribers) {
      listeners = subscribers.getOrDefault(v.kind(), List.of());
    }
    for (ValueListener l : listeners) {
      try {
        l.onValue(v, from);
      } catch (RuntimeException e) {
        log.warn("a subscriber to {} values failed on {}", v.kind(), v, e);
      }
    }
  }

  private void offend(NodeId peer, Offence offence, String what) {
    offences.incrementAndGet();
    log.warn("peer {} sent {}", peer.shortString(), what);
    transport.peerManager().report(peer, offence, what);
  }

  // ------------------------------------------------------------------ push and prune

  /**
   * {@code from} pushed us a value of {@code origin} we did not hold: it stays a path for the
   * origin if fewer than {@link #PUSH_PATHS_KEPT} are known.
   */
  private void notePath(NodeId from, NodeId origin) {
    SequencedSet<NodeId> paths = pushPaths.computeIfAbsent(origin, o -> new LinkedHashSet<>());
    if (paths.size() < PUSH_PATHS_KEPT) {
      paths.add(from);
    }
  }

  /**
   * {@code from} pushed us a value of {@code origin} we held already: one of our paths for the
   * origin (or a new one, while we know fewer than {@link #PUSH_PATHS_KEPT}: a value brings only
   * one peer fresh, and one we took by pull brings none), or else pruned.
   */
  private void notePrune(NodeId from, NodeId origin) {
    if (from.equals(origin)) {
      return;
    }
    SequencedSet<NodeId> paths = pushPaths.computeIfAbsent(origin, o -> new LinkedHashSet<>());
    if (paths.contains(from)) {
      return;
    }
    if (paths.size() < PUSH_PATHS_KEPT) {
      paths.add(from);
      return;
    }
    Set<NodeId> origins = prunesToSend.computeIfAbsent(from, p -> new LinkedHashSet<>());
    if (origins.size() < Limits.MAX_GOSSIP_PRUNE_ORIGINS) {
      origins.add(origin);
    }
  }

  /** Sends the push queue to the active set, and the prunes gathered since the last flush. */
  private void flush() {
    refillActiveSet();
    if (!pushQueue.isEmpty()) {
      List<Queued> queued = new ArrayList<>(pushQueue);
      pushQueue.clear();
      for (NodeId peer : activeSet) {
        Set<NodeId> pruneSet = prunedBy.getOrDefault(peer, Collections.emptyNavigableSet());
        List<SignedValue> batch = new ArrayList<>();
        for (Queued q : queued) {
          NodeId origin = q.value().origin();
          if (!peer.equals(q.from()) && !peer.equals(origin) && !pruneSet.contains(origin)) {
            batch.add(q.value());
          }
        }
        sendValues(peer, batch);
      }
    }
    for (Map.Entry<NodeId, SequencedSet<NodeId>> e : prunesToSend.entrySet()) {
      Prune.Builder prune = Prune.newBuilder();
      e.getValue().forEach(o -> prune.addOrigins(ByteString.copyFrom(o.publicKey())));
      send(e.getKey(), GossipMessage.newBuilder().setPrune(prune).build().toByteString());
    }
    prunesToSend.clear();
    long now = wallclockNow();
    // Expired: more than ttl behind now (ValueRules.expired). Values this node signs again are
    // exempt; any other of its key (one it published before a restart and has not published
    // since, pulled back from a peer) expires like a stranger's.
    store.removeOlderThan(now - rules.ttlMillis(), v -> own.containsKey(v.key()));
  }

  /** Sends {@code values} in as many push messages as the size limits need. */
  private void sendValues(NodeId peer, List<SignedValue> values) {
    Push.Builder push = Push.newBuilder().setNetwork(config.network());
    int bytes = 0;
    for (SignedValue v : values) {
      io.ferry.wire.v1.SignedValue proto = v.toProto();
      int size = proto.getSerializedSize() + 8;
      if (push.getValuesCount() == Limits.MAX_GOSSIP_VALUES_PER_MESSAGE
          || bytes + size > Limits.MAX_GOSSIP_MESSAGE_BYTES - 256) {
        send(peer, GossipMessage.newBuilder().setPush(push).build().toByteString());
        push = Push.newBuilder().setNetwork(config.network());
        bytes = 0;
      }
      push.addValues(proto);
      bytes += size;
    }
    if (push.getValuesCount() > 0) {
      send(peer, GossipMessage.newBuilder().setPush(push).build().toByteString());
    }
  }

  private void send(NodeId peer, ByteString message) {
    messagesSent.incrementAndGet();
    bytesSent.addAndGet(message.size());
    transport
        .send(peer, ProtocolId.GOSSIP, message)
        .exceptionally(
            e -> {
              log.debug("gossip to {} not sent: {}", peer.shortString(), e.toString());
              return null;
            });
  }

  /** Keeps the active set to connected peers, topping it up at random to the fanout. */
  private void refillActiveSet() {
    SortedSet<NodeId> peers = transport.peers();
    activeSet.removeIf(p -> !peers.contains(p));
    prunedBy.keySet().removeIf(p -> !activeSet.contains(p));
    if (activeSet.size() >= config.fanout() || activeSet.size() == peers.size()) {
      return;
    }
    List<NodeId> candidates = new ArrayList<>(peers);
    candidates.removeAll(activeSet);
    while (activeSet.size() < config.fanout() && !candidates.isEmpty()) {
      activeSet.add(candidates.remove(random.nextInt(candidates.size())));
    }
  }

  private void rotate() {
    activeSet.clear();
    prunedBy.clear();
    pushPaths.clear();
    refillActiveSet();
  }

  private void onPrune(NodeId from, Prune prune) {
    if (prune.getOriginsCount() > Limits.MAX_GOSSIP_PRUNE_ORIGINS) {
      offend(from, Offence.MALFORMED_MESSAGE, "a prune of " + prune.getOriginsCount() + " origins");
      return;
    }
    if (!activeSet.contains(from)) {
      return; // we no longer push to it: nothing to prune
    }
    Set<NodeId> set = prunedBy.computeIfAbsent(from, p -> new LinkedHashSet<>());
    for (ByteString o : prune.getOriginsList()) {
      if (o.size() != NodeId.LENGTH) {
        offend(from, Offence.MALFORMED_MESSAGE, "a prune naming a " + o.size() + "-byte origin");
        return;
      }
      set.add(NodeId.of(o.toByteArray()));
      pruned.incrementAndGet();
    }
  }

  // ------------------------------------------------------------------ pull

  private void pullRound() {
    SortedSet<NodeId> peers = transport.peers();
    if (!peers.isEmpty()) {
      List<NodeId> list = new ArrayList<>(peers);
      pull(list.get(random.nextInt(list.size())));
    }
  }

  private void pull(NodeId peer) {
    if (closed) {
      return;
    }
    int capacity = BloomFilter.capacity(BLOOM_FALSE_POSITIVES);
    int held = store.size();
    int maskBits = 0;
    while ((held >> maskBits) > capacity && maskBits < 16) {
      maskBits++;
    }
    long mask = random.nextLong();
    List<Hash> hashes = store.hashesIn(maskBits, mask);
    BloomFilter filter =
        BloomFilter.forItems(hashes.size(), BLOOM_FALSE_POSITIVES, random.nextLong());
    hashes.forEach(filter::add);
    PullRequest.Builder request =
        PullRequest.newBuilder()
            .setNetwork(config.network())
            .setFilter(filter.toProto())
            .setMaskBits(maskBits)
            .setMask(mask);
    get(key.id(), ValueKind.CONTACT_INFO).ifPresent(c -> request.setContact(c.toProto()));
    ByteString bytes = GossipRequest.newBuilder().setPullRequest(request).build().toByteString();
    pulls.incrementAndGet();
    messagesSent.incrementAndGet();
    bytesSent.addAndGet(bytes.size());
    transport
        .request(peer, ProtocolId.GOSSIP, bytes, config.requestTimeout())
        .whenComplete(
            (answer, error) ->
                scheduler.execute(
                    () -> {
                      if (error != null) {
                        log.debug("pull from {} failed: {}", peer.shortString(), error.toString());
                      } else if (!closed) {
                        onPullResponse(peer, answer);
                      }
                    }));
  }

  private void onPullResponse(NodeId peer, ByteString answer) {
    if (answer.size() > Limits.MAX_GOSSIP_MESSAGE_BYTES) {
      offend(peer, Offence.MALFORMED_MESSAGE, "a pull answer of " + answer.size() + " bytes");
      return;
    }
    PullResponse response;
    try {
      response = PullResponse.parseFrom(answer);
    } catch (InvalidProtocolBufferException e) {
      offend(peer, Offence.MALFORMED_MESSAGE, "a pull answer that does not decode");
      return;
    }
    if (response.getValuesCount() > Limits.MAX_GOSSIP_VALUES_PER_MESSAGE) {
      offend(
          peer,
          Offence.MALFORMED_MESSAGE,
          "a pull answer of " + response.getValuesCount() + " values");
      return;
    }
    take(peer, response.getValuesList(), false);
  }

  private void onPullRequest(NodeId from, PullRequest request, Responder responder) {
    if (!request.getNetwork().equals(config.network())) {
      wrongNetwork(from, request.getNetwork());
      responder.fail(ErrorCode.PERMISSION_DENIED, "this node is of network " + config.network());
      return;
    }
    BloomFilter filter;
    try {
      filter = BloomFilter.fromProto(request.getFilter());
    } catch (FerryException e) {
      offend(from, Offence.MALFORMED_MESSAGE, "a pull request with " + e.getMessage());
      responder.fail(e.code(), e.getMessage());
      return;
    }
    // A uint32 on the wire: above 2^31 - 1 it arrives negative.
    if (Integer.compareUnsigned(request.getMaskBits(), 32) > 0) {
      offend(
          from,
          Offence.MALFORMED_MESSAGE,
          "a pull request of mask " + Integer.toUnsignedString(request.getMaskBits()));
      responder.fail(ErrorCode.LIMIT_EXCEEDED, "a mask is at most 32 bits");
      return;
    }
    if (request.hasContact()) {
      take(from, List.of(request.getContact()), false);
    }
    List<SignedValue> missing =
        store.missingFrom(
            filter,
            request.getMaskBits(),
            request.getMask(),
            Limits.MAX_GOSSIP_VALUES_PER_MESSAGE,
            Limits.MAX_GOSSIP_MESSAGE_BYTES - 256,
            random.nextInt(Math.max(1, store.size())));
    PullResponse.Builder response = PullResponse.newBuilder();
    missing.forEach(v -> response.addValues(v.toProto()));
    ByteString bytes = response.build().toByteString();
    messagesSent.incrementAndGet();
    bytesSent.addAndGet(bytes.size());
    responder.respond(bytes);
  }

  private void wrongNetwork(NodeId peer, String network) {
    log.info(
        "peer {} is of network '{}', not '{}': disconnecting",
        peer.shortString(),
        network.length() > 64 ? network.substring(0, 64) : network,
        config.network());
    transport.peerManager().report(peer, Offence.PROTOCOL_VIOLATION, "gossip of another network");
    transport.disconnect(peer, "another network");
  }

  // ------------------------------------------------------------------ own values

  private void refresh() {
    for (Map.Entry<ValueKey, Own> e : own.entrySet()) {
      signAndQueue(e.getKey(), e.getValue());
    }
  }

  @Override
  public void close() {
    closed = true;
    scheduler.execute(
        () -> {
          timers.forEach(t -> t[0].cancel());
          timers.clear();
        });
  }

  /** The transport's side: pushes, prunes and pull requests. */
  private final class Handler implements ProtocolHandler {
    @Override
    public void onMessage(NodeId from, ByteString payload) {
      if (payload.size() > Limits.MAX_GOSSIP_MESSAGE_BYTES) {
        scheduler.execute(
            () ->
                offend(
                    from,
                    Offence.MALFORMED_MESSAGE,
                    "a gossip message of " + payload.size() + " bytes"));
        return;
      }
      scheduler.execute(() -> onGossip(from, payload));
    }

    @Override
    public void onRequest(NodeId from, ByteString payload, Responder responder) {
      if (payload.size() > Limits.MAX_GOSSIP_MESSAGE_BYTES) {
        responder.fail(
            ErrorCode.LIMIT_EXCEEDED, "a gossip request of " + payload.size() + " bytes");
        return;
      }
      scheduler.execute(() -> onGossipRequest(from, payload, responder));
    }
  }

  private void onGossip(NodeId from, ByteString payload) {
    if (closed) {
      return;
    }
    if (!rate.tryTake(from)) {
      return;
    }
    GossipMessage message;
    try {
      message = GossipMessage.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      offend(from, Offence.MALFORMED_MESSAGE, "a gossip message that does not decode");
      return;
    }
    switch (message.getMessageCase()) {
      case PUSH -> {
        Push push = message.getPush();
        if (!push.getNetwork().equals(config.network())) {
          wrongNetwork(from, push.getNetwork());
        } else if (push.getValuesCount() > Limits.MAX_GOSSIP_VALUES_PER_MESSAGE) {
          offend(from, Offence.MALFORMED_MESSAGE, "a push of " + push.getValuesCount() + " values");
        } else {
          take(from, push.getValuesList(), true);
        }
      }
      case PRUNE -> onPrune(from, message.getPrune());
      case MESSAGE_NOT_SET ->
          log.debug("ignoring a gossip message kind we do not know from {}", from);
    }
  }

  private void onGossipRequest(NodeId from, ByteString payload, Responder responder) {
    if (closed) {
      responder.fail(ErrorCode.UNAVAILABLE, "gossip is stopping");
      return;
    }
    if (!rate.tryTake(from)) {
      responder.fail(ErrorCode.UNAVAILABLE, "too many gossip requests");
      return;
    }
    GossipRequest request;
    try {
      request = GossipRequest.parseFrom(payload);
    } catch (InvalidProtocolBufferException e) {
      offend(from, Offence.MALFORMED_MESSAGE, "a gossip request that does not decode");
      responder.fail(ErrorCode.INVALID_ENCODING, "not a gossip request");
      return;
    }
    switch (request.getMessageCase()) {
      case PULL_REQUEST -> onPullRequest(from, request.getPullRequest(), responder);
      case MESSAGE_NOT_SET ->
          responder.fail(ErrorCode.UNSUPPORTED, "a gossip request kind this node does not know");
    }
  }
}
