package io.ferry.net.engine;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.log.RateLimitedLog;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.TransportConfig;
import io.ferry.net.TransportException;
import io.ferry.net.metrics.TransportMetrics;
import io.ferry.net.peers.Admission;
import io.ferry.net.peers.Offence;
import io.ferry.net.peers.PeerManager;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Error;
import io.ferry.wire.v1.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The part of a transport that is the same over every medium: one session per peer, request ids,
 * deadlines, cancellation, per-peer limits on requests in flight, handler dispatch, duplicate
 * connection resolution, admission through the {@link PeerManager}, events and metrics. Each
 * transport gives it authenticated {@link Link}s and the frames they receive.
 *
 * <p>Deadlines run on the injected {@link Scheduler}, so in the simulator they fire in virtual
 * time. Thread-safe: links may deliver frames on different threads; one link's frames must be
 * delivered in order.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger(Engine.class);

  private final NodeId localId;
  private final TransportConfig config;
  private final Scheduler scheduler;
  private final PeerManager peerManager;
  private final TransportMetrics metrics;
  private final RateLimitedLog lines; // warnings peers can cause, bounded per kind
  private final Map<ProtocolId, ProtocolHandler> handlers = new ConcurrentHashMap<>();
  // Protocols this node's own code registered or sent on: with Ferry's built-in ones, the protocols
  // it knows. A frame for any other is a peer's invention: refused, penalised, never a label.
  private final Set<ProtocolId> used = ConcurrentHashMap.newKeySet();
  private final List<PeerListener> listeners = new CopyOnWriteArrayList<>();
  // Sorted, so everything that walks the sessions (close, peers) does it in the same order on
  // every run: the simulator's replays depend on it.
  private final java.util.SortedMap<NodeId, Session> sessions =
      new java.util.TreeMap<>(); // guarded by this
  private boolean closed; // guarded by this

  public Engine(
      NodeId localId,
      TransportConfig config,
      Scheduler scheduler,
      PeerManager peerManager,
      TransportMetrics metrics) {
    this.localId = localId;
    this.config = config;
    this.scheduler = scheduler;
    this.peerManager = peerManager;
    this.metrics = metrics;
    this.lines = new RateLimitedLog(log, scheduler.clock());
    peerManager.onBan(peer -> disconnect(peer, "banned"));
  }

  public NodeId localId() {
    return localId;
  }

  public TransportConfig config() {
    return config;
  }

  public PeerManager peerManager() {
    return peerManager;
  }

  public TransportMetrics metrics() {
    return metrics;
  }

  public void register(ProtocolId protocol, ProtocolHandler handler) {
    if (handlers.putIfAbsent(protocol, handler) != null) {
      throw new IllegalStateException("a handler for " + protocol + " is already registered");
    }
    used.add(protocol);
  }

  public void addListener(PeerListener listener) {
    listeners.add(listener);
  }

  public void removeListener(PeerListener listener) {
    listeners.remove(listener);
  }

  /** The connected peers, sorted by id. */
  public synchronized java.util.SortedSet<NodeId> peers() {
    return java.util.Collections.unmodifiableSortedSet(new java.util.TreeSet<>(sessions.keySet()));
  }

  public synchronized boolean isConnected(NodeId peer) {
    return sessions.containsKey(peer);
  }

  public synchronized boolean isClosed() {
    return closed;
  }

  /**
   * Whether a connection from or to {@code remote} may open now; transports ask before spending
   * work on it and log the refusal.
   */
  public synchronized Admission admit(NodeId remote, boolean inbound) {
    if (closed) {
      return Admission.refuse("transport closed");
    }
    if (remote.equals(localId)) {
      return Admission.refuse("peer has our own node id");
    }
    if (sessions.containsKey(remote)) {
      return Admission.ALLOW; // resolved as a duplicate in attach
    }
    int inboundOpen = 0;
    for (Session s : sessions.values()) {
      inboundOpen += s.link.outbound() ? 0 : 1;
    }
    return peerManager.admit(remote, inbound, sessions.size(), inboundOpen);
  }

  /**
   * Makes an authenticated link the session for its peer. Refused links (policy, duplicate that
   * loses the tie-break, closed transport) are closed here.
   *
   * @return true if the link is now the peer's session
   */
  public boolean attach(Link link) {
    NodeId remote = link.remote();
    Session replaced = null;
    String refusal = null;
    synchronized (this) {
      Session existing = sessions.get(remote);
      if (closed) {
        // Checked before the duplicate case too: a link replacing one that close() is still
        // closing would otherwise be attached after close, and never closed.
        refusal = "transport closed";
      } else if (existing != null) {
        if (keepNew(existing, link)) {
          replaced = existing;
        } else {
          refusal = "duplicate connection";
        }
      } else {
        Admission admission = admit(remote, !link.outbound());
        if (!admission.allowed()) {
          refusal = admission.reason();
        }
      }
      if (refusal == null) {
        sessions.put(remote, new Session(link, scheduler.clock().nanos()));
      }
    }
    if (refusal != null) {
      if (!refusal.equals("duplicate connection")) {
        metrics.refused();
        lines.warn(
            "refused",
            "refused {} connection {} {} at {}: {}",
            link.outbound() ? "outbound" : "inbound",
            link.outbound() ? "to" : "from",
            remote.shortString(),
            link.address(),
            refusal);
      } else {
        log.debug("closing duplicate connection with {}", remote.shortString());
      }
      link.close(refusal);
      return false;
    }
    if (replaced != null) {
      // The peer is still connected, through the new link: no events, only the old link's
      // requests fail, since their answers would come on a connection that is going away.
      end(replaced, "replaced by a newer connection", false);
      replaced.link.close("duplicate connection");
      // One connection closed and another opened: keeps the per-direction gauge right when the
      // new link was dialled by the other side.
      metrics.disconnected(replaced.link.outbound());
      metrics.connected(link.outbound());
      log.debug("connection with {} replaced by a newer one", remote.shortString());
      return true;
    }
    metrics.connected(link.outbound());
    log.info(
        "connected {} {} at {}",
        link.outbound() ? "to" : "from",
        remote.shortString(),
        link.address());
    for (PeerListener l : listeners) {
      l.onConnected(remote, link.outbound());
    }
    return true;
  }

  /**
   * One connection per pair, chosen the same way on both sides: keep the link dialled by the
   * smaller node id; between two links dialled by the same side, or when the old link is older than
   * a handshake, keep the newer one (the older is likely dead, for example after the peer
   * restarted).
   */
  private boolean keepNew(Session old, Link fresh) {
    NodeId oldDialer = old.link.outbound() ? localId : old.link.remote();
    NodeId freshDialer = fresh.outbound() ? localId : fresh.remote();
    if (oldDialer.equals(freshDialer)) {
      return true;
    }
    // Simultaneous dials meet within one handshake time. A second connection arriving well after
    // the first means its dialler no longer sees the first (it restarted, or lost it): the old
    // one is dead on the far side, and the far side holds only the new one.
    if (scheduler.clock().nanos() - old.attachedNanos > config.connectTimeout().toNanos()) {
      return true;
    }
    return freshDialer.compareTo(oldDialer) < 0;
  }

  /** Called by a link when it has closed, for whatever reason. */
  public void onClosed(Link link, String reason) {
    Session s;
    synchronized (this) {
      s = sessions.get(link.remote());
      if (s == null || s.link != link) {
        return;
      }
      sessions.remove(link.remote());
    }
    end(s, reason, true);
  }

  private void end(Session s, String reason, boolean announce) {
    s.closed = true;
    NodeId remote = s.link.remote();
    // In request order, not hash order: what a failure or a cancel sets off (a retry at another
    // peer, freed budget) must happen in the same order in every run of a simulation.
    for (Map.Entry<Long, Pending> e : new TreeMap<>(s.outgoing).entrySet()) {
      Pending p = e.getValue();
      if (s.outgoing.remove(e.getKey(), p)) {
        p.timer.cancel();
        fail(p, TransportException.disconnected("connection to " + remote + " closed: " + reason));
      }
    }
    for (InboundRequest r : new TreeMap<>(s.incoming).values()) {
      r.cancel();
    }
    s.incoming.clear();
    if (announce) {
      metrics.disconnected(s.link.outbound());
      log.info("disconnected from {}: {}", remote.shortString(), reason);
      for (PeerListener l : listeners) {
        l.onDisconnected(remote, reason);
      }
    }
  }

  public void disconnect(NodeId peer, String reason) {
    Session s;
    synchronized (this) {
      s = sessions.get(peer);
    }
    if (s != null) {
      s.dropping = true;
      s.link.close(reason);
    }
  }

  /** Closes every link; further links are refused. */
  public void close(String reason) {
    List<Session> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(sessions.values());
    }
    for (Session s : all) {
      s.link.close(reason);
    }
  }

  // ---- sending ----

  public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
    use(protocol);
    Session s = session(peer);
    if (s == null) {
      return CompletableFuture.failedFuture(notConnected(peer));
    }
    Envelope env =
        Envelope.newBuilder()
            .setProtocolValue(protocol.value())
            .setKind(Kind.KIND_MESSAGE)
            .setPayload(payload)
            .build();
    return write(s, protocol, env);
  }

  public CompletableFuture<ByteString> request(
      NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
    use(protocol);
    Session s = session(peer);
    if (s == null) {
      metrics.requestFailed(protocol, "disconnected");
      return CompletableFuture.failedFuture(notConnected(peer));
    }
    if (s.outgoing.size() >= config.maxRequestsInFlight()) {
      metrics.requestFailed(protocol, "overloaded");
      return CompletableFuture.failedFuture(
          TransportException.overloaded(
              config.maxRequestsInFlight() + " requests to " + peer + " already in flight"));
    }
    long id = s.nextId.getAndIncrement();
    Pending p = new Pending(protocol, scheduler.clock().nanos());
    s.outgoing.put(id, p);
    p.timer =
        scheduler.schedule(
            timeout,
            () -> {
              if (s.outgoing.remove(id, p)) {
                fail(
                    p,
                    TransportException.timeout(
                        protocol + " request to " + peer + " timed out after " + timeout));
                sendCancel(s, protocol, id);
              }
            });
    p.future.whenComplete(
        (v, e) -> {
          if (p.future.isCancelled() && s.outgoing.remove(id, p)) {
            p.timer.cancel();
            metrics.requestFailed(protocol, "cancelled");
            sendCancel(s, protocol, id);
          }
        });
    Envelope env =
        Envelope.newBuilder()
            .setProtocolValue(protocol.value())
            .setKind(Kind.KIND_REQUEST)
            .setRequestId(id)
            .setPayload(payload)
            .build();
    write(s, protocol, env)
        .whenComplete(
            (v, e) -> {
              if (e != null && s.outgoing.remove(id, p)) {
                p.timer.cancel();
                fail(p, asTransportException(e));
              }
            });
    return p.future;
  }

  private void sendCancel(Session s, ProtocolId protocol, long id) {
    if (!s.closed) {
      write(
          s,
          protocol,
          Envelope.newBuilder()
              .setProtocolValue(protocol.value())
              .setKind(Kind.KIND_CANCEL)
              .setRequestId(id)
              .build());
    }
  }

  private CompletableFuture<Void> write(Session s, ProtocolId protocol, Envelope env) {
    int size = env.getSerializedSize();
    if (size > config.maxFrameBytes()) {
      return CompletableFuture.failedFuture(
          TransportException.refused(
              ErrorCode.LIMIT_EXCEEDED,
              "a "
                  + protocol
                  + " frame of "
                  + size
                  + " bytes exceeds the frame limit of "
                  + config.maxFrameBytes()));
    }
    if (s.closed) {
      return CompletableFuture.failedFuture(
          TransportException.disconnected("connection to " + s.link.remote() + " closed"));
    }
    metrics.frameOut(metricLabel(protocol), kindLabel(env.getKind()), size);
    return s.link.write(env);
  }

  private void fail(Pending p, TransportException e) {
    metrics.requestFailed(p.protocol, e.failure().name().toLowerCase(java.util.Locale.ROOT));
    p.future.completeExceptionally(e);
  }

  // ---- receiving ----

  /** Called by a link for each envelope it received, in order. */
  public void onFrame(Link link, Envelope env) {
    Session s = session(link.remote());
    if (s == null || s.link != link || s.dropping) {
      return; // a link being replaced, refused or dropped: its frames no longer count
    }
    int protocolValue = env.getProtocolValue();
    Kind kind = env.getKind();
    if (kind == Kind.KIND_PING || kind == Kind.KIND_WELCOME) {
      return;
    }
    if (kind == Kind.KIND_GOAWAY) {
      link.close("peer said goodbye: " + env.getError().getMessage());
      return;
    }
    if (protocolValue <= 0) {
      protocolViolation(link, "frame without a protocol id");
      return;
    }
    ProtocolId protocol = new ProtocolId(protocolValue);
    if (!knows(protocol)) {
      unknownProtocol(s, protocol, env);
      return;
    }
    metrics.frameIn(protocol.label(), kindLabel(kind), env.getSerializedSize());
    switch (kind) {
      case KIND_MESSAGE -> onMessage(link, protocol, env);
      case KIND_REQUEST -> onRequest(s, protocol, env);
      case KIND_RESPONSE, KIND_ERROR -> onAnswer(s, env);
      case KIND_CANCEL -> {
        InboundRequest r = s.incoming.remove(env.getRequestId());
        if (r != null) {
          r.cancel();
        }
      }
      default -> protocolViolation(link, "frame of unknown kind " + env.getKindValue());
    }
  }

  /**
   * A frame for a protocol this node has never heard of: no node of this network sends one by
   * accident, so it costs the peer (a flood of them ends in a ban). A request still gets its typed
   * refusal, so a newer peer probing for a protocol learns that this node lacks it.
   */
  private void unknownProtocol(Session s, ProtocolId protocol, Envelope env) {
    metrics.frameIn(
        TransportMetrics.UNKNOWN_PROTOCOL, kindLabel(env.getKind()), env.getSerializedSize());
    if (env.getKind() == Kind.KIND_REQUEST) {
      refuse(
          s,
          protocol,
          env.getRequestId(),
          ErrorCode.UNSUPPORTED,
          "this node does not know protocol " + protocol.value());
    }
    peerManager.report(
        s.link.remote(),
        Offence.UNREQUESTED_DATA,
        kindLabel(env.getKind()) + " frame for unknown protocol " + protocol.value());
  }

  private boolean knows(ProtocolId protocol) {
    return protocol.builtIn() || used.contains(protocol);
  }

  private void use(ProtocolId protocol) {
    if (!protocol.builtIn()) {
      used.add(protocol);
    }
  }

  /** The metric label of a protocol: its name or number if known, else one fixed label. */
  private String metricLabel(ProtocolId protocol) {
    return knows(protocol) ? protocol.label() : TransportMetrics.UNKNOWN_PROTOCOL;
  }

  private void onMessage(Link link, ProtocolId protocol, Envelope env) {
    ProtocolHandler h = handlers.get(protocol);
    if (h == null) {
      log.debug("dropped {} message from {}: no handler", protocol, link.remote().shortString());
      return;
    }
    try {
      h.onMessage(link.remote(), env.getPayload());
    } catch (RuntimeException e) {
      lines.warn(
          "handler failed",
          "{} handler failed on a message from {}",
          protocol,
          link.remote().shortString(),
          e);
    }
  }

  private void onRequest(Session s, ProtocolId protocol, Envelope env) {
    long id = env.getRequestId();
    ProtocolHandler h = handlers.get(protocol);
    if (h == null) {
      refuse(s, protocol, id, ErrorCode.UNSUPPORTED, "this node does not serve " + protocol);
      return;
    }
    if (s.incoming.size() >= config.maxRequestsInFlight()) {
      refuse(
          s,
          protocol,
          id,
          ErrorCode.LIMIT_EXCEEDED,
          "more than " + config.maxRequestsInFlight() + " requests in flight");
      return;
    }
    InboundRequest r = new InboundRequest(this, s, protocol, id);
    if (s.incoming.putIfAbsent(id, r) != null) {
      protocolViolation(s.link, "request id " + id + " reused while in flight");
      return;
    }
    try {
      h.onRequest(s.link.remote(), env.getPayload(), r);
    } catch (FerryException e) {
      r.fail(e.code(), e.getMessage());
    } catch (RuntimeException e) {
      lines.warn(
          "handler failed",
          "{} handler failed on a request from {}",
          protocol,
          s.link.remote().shortString(),
          e);
      r.fail(ErrorCode.INTERNAL, "the handler failed");
    }
  }

  private void refuse(Session s, ProtocolId protocol, long id, ErrorCode code, String message) {
    write(
        s,
        protocol,
        Envelope.newBuilder()
            .setProtocolValue(protocol.value())
            .setKind(Kind.KIND_ERROR)
            .setRequestId(id)
            .setError(
                Error.newBuilder().setCode(code.wireValue()).setMessage(message).setRefused(true))
            .build());
  }

  /** Sends the answer of an inbound request; called once by its responder. */
  void answer(InboundRequest r, Envelope env) {
    if (r.session.incoming.remove(r.id, r)) {
      CompletableFuture<Void> written = write(r.session, r.protocol, env);
      written.whenComplete(
          (v, e) -> {
            if (e instanceof TransportException te
                && te.code() == ErrorCode.LIMIT_EXCEEDED
                && env.getKind() == Kind.KIND_RESPONSE) {
              lines.warn(
                  "response too large",
                  "{} response too large for a frame: {}",
                  r.protocol,
                  te.getMessage());
              write(
                  r.session,
                  r.protocol,
                  Envelope.newBuilder()
                      .setProtocolValue(r.protocol.value())
                      .setKind(Kind.KIND_ERROR)
                      .setRequestId(r.id)
                      .setError(
                          Error.newBuilder()
                              .setCode(ErrorCode.LIMIT_EXCEEDED.wireValue())
                              .setMessage("response exceeds the frame limit"))
                      .build());
            }
          });
    }
  }

  private void onAnswer(Session s, Envelope env) {
    Pending p = s.outgoing.remove(env.getRequestId());
    if (p == null) {
      return; // answered after its deadline or cancellation: normal, not misbehaviour
    }
    p.timer.cancel();
    if (env.getKind() == Kind.KIND_RESPONSE) {
      metrics.requestDone(p.protocol, scheduler.clock().nanos() - p.startNanos);
      p.future.complete(env.getPayload());
    } else {
      Error err = env.getError();
      ErrorCode code = ErrorCode.fromWire(err.getCode());
      String message = s.link.remote().shortString() + ": " + err.getMessage();
      fail(
          p,
          err.getRefused()
              ? TransportException.refused(code, message)
              : new TransportException(TransportException.Failure.REMOTE, code, message));
    }
  }

  private void protocolViolation(Link link, String what) {
    lines.warn(
        "protocol violation", "protocol violation by {}: {}", link.remote().shortString(), what);
    link.close("protocol violation: " + what);
  }

  // ---- helpers ----

  private synchronized Session session(NodeId peer) {
    return sessions.get(peer);
  }

  private static TransportException notConnected(NodeId peer) {
    return TransportException.disconnected("not connected to " + peer);
  }

  static TransportException asTransportException(Throwable e) {
    Throwable t =
        e instanceof java.util.concurrent.CompletionException && e.getCause() != null
            ? e.getCause()
            : e;
    if (t instanceof TransportException te) {
      return te;
    }
    return new TransportException(
        TransportException.Failure.DISCONNECTED,
        ErrorCode.UNAVAILABLE,
        String.valueOf(t.getMessage()),
        t);
  }

  static String kindLabel(Kind kind) {
    return switch (kind) {
      case KIND_MESSAGE -> "message";
      case KIND_REQUEST -> "request";
      case KIND_RESPONSE -> "response";
      case KIND_ERROR -> "error";
      case KIND_CANCEL -> "cancel";
      default -> "other";
    };
  }

  /** One peer's connection state. */
  static final class Session {
    final Link link;
    final long attachedNanos;
    final Map<Long, Pending> outgoing = new ConcurrentHashMap<>();
    final Map<Long, InboundRequest> incoming = new ConcurrentHashMap<>();
    final AtomicLong nextId = new AtomicLong(1);
    volatile boolean closed;
    volatile boolean dropping; // we are closing it: what it still delivers is ignored

    Session(Link link, long attachedNanos) {
      this.link = link;
      this.attachedNanos = attachedNanos;
    }
  }

  /** A request we sent and still wait for. */
  static final class Pending {
    final ProtocolId protocol;
    final long startNanos;
    final CompletableFuture<ByteString> future = new CompletableFuture<>();
    volatile Cancellable timer = () -> false;

    Pending(ProtocolId protocol, long startNanos) {
      this.protocol = protocol;
      this.startNanos = startNanos;
    }
  }
}
