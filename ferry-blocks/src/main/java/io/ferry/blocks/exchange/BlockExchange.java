package io.ferry.blocks.exchange;

import com.google.protobuf.ByteString;
import io.ferry.blocks.cid.Cid;
import io.ferry.blocks.cid.Multicodec;
import io.ferry.blocks.dataset.Manifest;
import io.ferry.blocks.store.BlockStore;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
import io.ferry.net.Transport;
import io.ferry.net.peers.Offence;
import io.ferry.net.peers.PeerManager;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import java.util.SequencedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The block exchange on a transport: decodes every {@link ProtocolId#BLOCK_EXCHANGE} message and
 * routes its parts: want-lists to the {@link BlockServer}, presences and blocks of a dataset to its
 * {@link Download}, a manifest to the fetch waiting for it. {@link #manifest} finds a dataset's
 * manifest (locally, else from providers and connected peers) and {@link #download} fetches its
 * blocks; both start from the store, so a dataset held here is never fetched.
 *
 * <p>A message that does not decode or breaks a limit costs its sender ({@link
 * Offence#MALFORMED_MESSAGE}); a block that fails its proof, or a manifest whose bytes are not its
 * CID's, bans it. Thread-safe.
 */
public final class BlockExchange implements ProtocolHandler, PeerListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(BlockExchange.class);

  /** Manifest fetches ask this many peers at once. */
  static final int MANIFEST_FANOUT = 3;

  /** A provider not connected is dialled again after this, not sooner. */
  static final java.time.Duration REDIAL_AFTER = java.time.Duration.ofSeconds(10);

  private final Transport transport;
  private final BlockStore store;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final ExchangeConfig config;
  private final Providers providers;
  private final Optional<GroupRepair> repair;
  private final BlockServer server;
  // Sorted, so connection events reach downloads and fetches in one order: a simulation replays.
  private final ConcurrentNavigableMap<Cid, Download> downloads = new ConcurrentSkipListMap<>();
  private final ConcurrentNavigableMap<Cid, ManifestFetch> manifests =
      new ConcurrentSkipListMap<>();
  // When each provider was last dialled; sorted, like every map here that is iterated or not.
  private final ConcurrentNavigableMap<NodeId, Long> lastDials = new ConcurrentSkipListMap<>();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong receivedBytes = new AtomicLong();
  private volatile boolean closed;

  /**
   * Registers on {@code transport}.
   *
   * @param io where store reads for peers run (never a transport thread)
   * @param repair rebuilds erasure-coded groups; empty to fetch every block
   */
  public BlockExchange(
      Transport transport,
      BlockStore store,
      Scheduler scheduler,
      RandomSource random,
      Executor io,
      ExchangeConfig config,
      Providers providers,
      Optional<GroupRepair> repair) {
    this.transport = transport;
    this.store = store;
    this.scheduler = scheduler;
    this.random = random;
    this.config = config;
    this.providers = providers;
    this.repair = repair;
    this.server = new BlockServer(store, scheduler, io, this::send);
    transport.register(ProtocolId.BLOCK_EXCHANGE, this);
    transport.addListener(this);
  }

  public BlockServer server() {
    return server;
  }

  public BlockStore store() {
    return store;
  }

  /** Blocks and bytes received from peers (verified or not). */
  public long blocksReceived() {
    return received.get();
  }

  public long bytesReceived() {
    return receivedBytes.get();
  }

  /** The downloads running now. */
  public List<Download> downloads() {
    return List.copyOf(downloads.values());
  }

  private CompletableFuture<Void> send(NodeId peer, Messages.Message m) {
    return transport.send(peer, ProtocolId.BLOCK_EXCHANGE, Messages.encode(m));
  }

  private void sendQuietly(NodeId peer, Messages.Message m) {
    send(peer, m)
        .whenComplete(
            (ok, e) -> {
              if (e != null) {
                log.debug("block exchange: to {}: {}", peer, e.toString());
              }
            });
  }

  // ---- the API

  /**
   * The manifest {@code cid} names: from the store, else fetched from providers and connected
   * peers, checked against its CID and stored.
   *
   * @return fails with {@link ErrorCode#NOT_FOUND} when no peer gives it within {@link
   *     ExchangeConfig#manifestTimeout}
   */
  public CompletableFuture<Manifest> manifest(Cid cid) {
    if (cid.codec() != Multicodec.FERRY_MANIFEST) {
      return CompletableFuture.failedFuture(
          new FerryException(ErrorCode.INVALID_ARGUMENT, cid + " is not a manifest's CID"));
    }
    Optional<Manifest> local = store.manifest(cid);
    if (local.isPresent()) {
      return CompletableFuture.completedFuture(local.get());
    }
    ManifestFetch f = manifests.computeIfAbsent(cid, c -> new ManifestFetch(c));
    return f.result;
  }

  /**
   * The download of the dataset {@code manifestCid} names, started if none runs. Its blocks come
   * from the providers and from every connected peer.
   */
  public Download download(Cid manifestCid, Manifest manifest) {
    if (closed) {
      throw new FerryException(ErrorCode.ILLEGAL_STATE, "the block exchange is closed");
    }
    boolean[] started = {false};
    Download d =
        downloads.computeIfAbsent(
            manifest.tree(),
            t -> {
              started[0] = true;
              return new Download(
                  manifestCid, manifest, store, scheduler, random, config, hooks, repair);
            });
    if (started[0]) {
      d.done()
          .whenComplete(
              (ok, e) -> {
                if (e == null) {
                  providers.announce(manifestCid, manifest.tree(), true);
                }
              });
      providers.announce(manifestCid, manifest.tree(), false);
      d.start();
      for (NodeId peer : transport.peers()) {
        d.addPeer(peer);
      }
      findProviders(d);
    }
    return d;
  }

  /** Dials the dataset's providers not yet connected; connected ones join by onConnected. */
  private void findProviders(Download d) {
    if (d.done().isDone() || closed) {
      return;
    }
    for (NodeId p : providers.lookup(d.manifestCid())) {
      if (p.equals(transport.localId())) {
        continue;
      }
      if (transport.isConnected(p)) {
        d.addPeer(p);
      } else {
        dial(p)
            .whenComplete(
                (id, e) -> {
                  if (e == null) {
                    d.addPeer(id);
                  }
                });
      }
    }
    // Providers announce themselves over time (a downloader when it starts): look again.
    scheduler.schedule(java.time.Duration.ofSeconds(2), () -> findProviders(d));
  }

  /**
   * Dials {@code peer}, at most once per {@link #REDIAL_AFTER}: a provider that cannot be reached
   * is not dialled again at every round of every download and manifest fetch that names it (a
   * connected one joins them by {@link #onConnected}).
   */
  private CompletableFuture<NodeId> dial(NodeId peer) {
    long now = scheduler.clock().millis();
    Long last = lastDials.get(peer);
    if (last != null && now - last < REDIAL_AFTER.toMillis()) {
      return CompletableFuture.failedFuture(
          new FerryException(
              ErrorCode.UNAVAILABLE, peer + " was dialled " + (now - last) + " ms ago"));
    }
    lastDials.put(peer, now);
    if (lastDials.size() > 4096) {
      lastDials.values().removeIf(at -> now - at >= REDIAL_AFTER.toMillis());
    }
    return providers.dial(peer);
  }

  private final Download.Hooks hooks =
      new Download.Hooks() {
        @Override
        public void send(NodeId peer, Messages.Message m) {
          sendQuietly(peer, m);
        }

        @Override
        public void stored(Cid tree, int index) {
          server.stored(tree, index);
        }

        @Override
        public void report(NodeId peer, Offence offence, String why) {
          lie(peer, offence, why);
        }

        @Override
        public void finished(Download d) {
          downloads.remove(d.manifest().tree(), d);
        }
      };

  /**
   * Reports {@code peer}; a block that fails its proof is a proven lie (or rot on the peer's disk:
   * either way its blocks cannot be trusted), so one bans it at once.
   */
  private void lie(NodeId peer, Offence offence, String why) {
    PeerManager pm = transport.peerManager();
    if (!pm.report(peer, offence, why) && offence == Offence.INVALID_PROOF && !pm.isBanned(peer)) {
      pm.ban(peer, pm.config().banDuration(), why);
    }
  }

  // ---- the protocol

  @Override
  public void onMessage(NodeId from, ByteString payload) {
    Messages.Message m;
    try {
      m = Messages.decode(payload);
    } catch (FerryException e) {
      transport
          .peerManager()
          .report(from, Offence.MALFORMED_MESSAGE, "block exchange: " + e.getMessage());
      return;
    }
    if (!m.wants().isEmpty() || m.fullWantList()) {
      server.onWants(from, m.wants(), m.fullWantList());
    }
    for (Presence p : m.presences()) {
      switch (p.address()) {
        case Address.Leaf l -> {
          Download d = downloads.get(l.tree());
          if (d != null) {
            d.onPresence(from, p);
          }
        }
        case Address.ByCid b -> {
          Download d = downloads.get(b.cid());
          if (d != null) {
            d.onPresence(from, p);
          }
          ManifestFetch f = manifests.get(b.cid());
          if (f != null && !p.have()) {
            f.dontHave(from);
          }
        }
      }
    }
    for (Delivery d : m.blocks()) {
      received.incrementAndGet();
      receivedBytes.addAndGet(d.data().length);
      switch (d.address()) {
        case Address.Leaf l -> {
          Download dl = downloads.get(l.tree());
          if (dl != null) {
            dl.receive(from, l.index(), d.data(), d.proof());
          } else {
            late(from, l, d.data());
          }
        }
        case Address.ByCid b -> {
          ManifestFetch f = manifests.get(b.cid());
          if (f != null) {
            f.arrived(from, d.data());
          } else if (!b.cid().matches(d.data())) {
            // Asked for once (a fetch since ended) or never: bytes that are not their CID's lie.
            lie(from, Offence.INVALID_PROOF, "block exchange: a block that is not " + b.cid());
          }
        }
      }
    }
  }

  /**
   * A block for no running download: one asked for before the download ended, or never asked for.
   * When this node holds that leaf, the block must be the same bytes, or its sender lied.
   */
  private void late(NodeId from, Address.Leaf l, byte[] data) {
    Optional<BlockStore.Leaf> mine = store.leaf(l.tree(), l.index());
    if (mine.isPresent() && !java.util.Arrays.equals(mine.get().data(), data)) {
      lie(
          from,
          Offence.INVALID_PROOF,
          "block exchange: a wrong block " + l.index() + " of " + l.tree());
    }
  }

  @Override
  public void onRequest(NodeId from, ByteString payload, Responder responder) {
    responder.fail(ErrorCode.UNSUPPORTED, "block exchange messages are one-way");
  }

  @Override
  public void onConnected(NodeId peer, boolean outbound) {
    for (Download d : downloads.values()) {
      d.addPeer(peer);
    }
    for (ManifestFetch f : manifests.values()) {
      f.ask(peer);
    }
  }

  @Override
  public void onDisconnected(NodeId peer, String reason) {
    server.forget(peer);
    for (Download d : downloads.values()) {
      d.removePeer(peer);
    }
  }

  @Override
  public void close() {
    closed = true;
    transport.removeListener(this);
    FerryException e = new FerryException(ErrorCode.ILLEGAL_STATE, "the block exchange closed");
    downloads.values().forEach(d -> d.fail(e));
    manifests.values().forEach(f -> f.result.completeExceptionally(e));
  }

  // ---- manifests

  /** Looks for one manifest: a few peers at a time, the next after each dont-have. */
  private final class ManifestFetch {
    final Cid cid;
    final CompletableFuture<Manifest> result = new CompletableFuture<>();
    // Guarded by this; ordered, so a simulation replays.
    final SequencedMap<NodeId, Long> asked = new LinkedHashMap<>();
    final SequencedSet<NodeId> answeredNo = new LinkedHashSet<>();
    final long deadline;

    ManifestFetch(Cid cid) {
      this.cid = cid;
      this.deadline = scheduler.clock().millis() + config.manifestTimeout().toMillis();
      result.whenComplete((m, e) -> manifests.remove(cid, this));
      scheduler.execute(this::round);
    }

    /** Asks providers and connected peers not yet asked, up to the fan-out in flight. */
    private void round() {
      if (result.isDone()) {
        return;
      }
      if (scheduler.clock().millis() > deadline) {
        result.completeExceptionally(
            new FerryException(
                ErrorCode.NOT_FOUND,
                "no peer gave the manifest " + cid + " within " + config.manifestTimeout()));
        return;
      }
      List<NodeId> candidates = new ArrayList<>(providers.lookup(cid));
      candidates.addAll(transport.peers());
      for (NodeId p : candidates) {
        if (p.equals(transport.localId())) {
          continue;
        }
        if (transport.isConnected(p)) {
          ask(p);
        } else {
          dial(p);
        }
      }
      synchronized (this) {
        // A peer silent for a request timeout (gone, or slow) counts as a no, so that it does
        // not hold a place in the fan-out.
        long now = scheduler.clock().millis();
        asked.forEach(
            (peer, at) -> {
              if (now - at > config.requestTimeout().toMillis()) {
                answeredNo.add(peer);
              }
            });
        // Everyone said no: ask again later, the dataset may be announced or arrive meanwhile.
        if (!asked.isEmpty() && answeredNo.containsAll(asked.keySet())) {
          asked.clear();
          answeredNo.clear();
        }
      }
      scheduler.schedule(config.tick().multipliedBy(4), this::round);
    }

    void ask(NodeId peer) {
      synchronized (this) {
        if (result.isDone()
            || asked.containsKey(peer)
            || asked.size() - answeredNo.size() >= MANIFEST_FANOUT) {
          return;
        }
        asked.put(peer, scheduler.clock().millis());
      }
      sendQuietly(peer, Messages.Message.of(List.of(Want.block(new Address.ByCid(cid), 1))));
    }

    void dontHave(NodeId peer) {
      synchronized (this) {
        answeredNo.add(peer);
      }
      scheduler.execute(this::round);
    }

    void arrived(NodeId from, byte[] data) {
      if (!cid.matches(data)) {
        lie(from, Offence.INVALID_PROOF, "block exchange: a block that is not " + cid);
        dontHave(from);
        return;
      }
      Manifest m;
      try {
        m = Manifest.decode(data);
      } catch (FerryException e) {
        // The bytes are the CID's: the dataset's author wrote a bad manifest, not this peer.
        result.completeExceptionally(
            new FerryException(
                ErrorCode.INVALID_ENCODING,
                cid + " is not a valid manifest: " + e.getMessage(),
                e));
        return;
      }
      store.putManifest(m);
      result.complete(m);
    }
  }
}
