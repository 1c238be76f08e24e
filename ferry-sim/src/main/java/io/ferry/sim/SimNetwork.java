package io.ferry.sim;

import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.RandomSource;
import io.ferry.net.TransportException;
import io.ferry.wire.v1.Envelope;
import io.ferry.wire.v1.Kind;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;

/**
 * The simulated wires between nodes: per-link {@link LinkModel}s (latency, bandwidth, and the
 * packet faults beneath a stream: loss, duplication, reordering, resets), partitions and healing,
 * an {@link Interceptor} for lying peers, and the routing of every packet to its receiver, each
 * step recorded in the {@link Trace}.
 *
 * <p>Keepalives are not sent frame by frame. Instead the network, which knows the truth, closes a
 * connection end the way a transport's idle timeout would: when its peer end is gone (crashed, or
 * closed with a goodbye that was lost) for the transport's idle timeout, or when a partition has
 * separated the two ends for that long. A frame that reaches a node which no longer knows its
 * connection (it restarted) is answered with a reset, as TCP does.
 *
 * <p>Deterministic: random draws come from one forked source per purpose, in the order frames are
 * sent, and every collection iterated here keeps insertion order. Not thread-safe: the simulator is
 * single-threaded by design.
 */
public final class SimNetwork {
  private record Pair(NodeId from, NodeId to) {}

  /** One direction of a link: busy until a time, and the last in-order arrival. */
  private static final class Wire {
    long busyUntil;
    long lastArrival;
  }

  private final Simulation sim;
  private final RandomSource lossRandom;
  private final RandomSource latencyRandom;
  private final RandomSource reorderRandom;
  private final RandomSource duplicateRandom;
  private final RandomSource resetRandom;
  private final Map<Pair, LinkModel> models = new HashMap<>();
  private final Map<Pair, Wire> wires = new HashMap<>();
  private final Map<String, NodeId> hosts = new HashMap<>();
  private final Map<NodeId, String> names = new HashMap<>();
  private final Map<NodeId, SimTransport> listeners = new HashMap<>();
  private final Set<SimLink> open = new LinkedHashSet<>();
  private final Partitions partitions = new Partitions();
  private LinkModel defaultModel = LinkModel.DEFAULT;
  private Interceptor interceptor;

  SimNetwork(Simulation sim, RandomSource random) {
    this.sim = sim;
    this.lossRandom = random.fork();
    this.latencyRandom = random.fork();
    this.reorderRandom = random.fork();
    this.duplicateRandom = random.fork();
    this.resetRandom = random.fork();
  }

  // ---- configuration ----

  /** The model of every link without one of its own. */
  public void setDefaultLink(LinkModel model) {
    defaultModel = model;
  }

  /** The model of the link between {@code a} and {@code b}, both directions. */
  public void setLink(NodeId a, NodeId b, LinkModel model) {
    models.put(new Pair(a, b), model);
    models.put(new Pair(b, a), model);
  }

  /** The model frames from {@code from} to {@code to} follow. */
  public LinkModel link(NodeId from, NodeId to) {
    return models.getOrDefault(new Pair(from, to), defaultModel);
  }

  /** Sets the hook that sees every frame before delivery; null removes it. */
  public void setInterceptor(Interceptor interceptor) {
    this.interceptor = interceptor;
  }

  /**
   * Cuts every link between a node of {@code a} and a node of {@code b}, from now until {@link
   * #heal}: packets between them are dropped on arrival, and their connections close after the idle
   * timeout unless healed first.
   */
  public void partition(Collection<NodeId> a, Collection<NodeId> b) {
    Set<NodeId> left = Set.copyOf(a);
    Set<NodeId> right = Set.copyOf(b);
    partitions.add(left, right, sim.nanos());
    sim.trace().record(sim.nanos(), Trace.Kind.PARTITION, "", "", a.size() + "|" + b.size());
    for (SimLink l : new ArrayList<>(open)) {
      if (l.peer != null && partitions.separated(l.owner().localId(), l.remote())) {
        watchPartition(l);
      }
    }
  }

  /** Removes every cut. */
  public void heal() {
    if (!partitions.isEmpty()) {
      partitions.heal();
      sim.trace().record(sim.nanos(), Trace.Kind.HEAL, "", "", "");
    }
  }

  /** Whether a cut separates {@code a} and {@code b} now. */
  public boolean separated(NodeId a, NodeId b) {
    return partitions.separated(a, b);
  }

  // ---- nodes ----

  void addHost(String hostPort, NodeId id, String name) {
    if (hosts.putIfAbsent(hostPort, id) != null) {
      throw new IllegalArgumentException(hostPort + " is already a node's address");
    }
    names.put(id, name);
  }

  NodeId resolve(String hostPort) {
    return hosts.get(hostPort);
  }

  String name(NodeId id) {
    String name = names.get(id);
    return name != null ? name : id.shortString();
  }

  void listen(SimTransport t) {
    listeners.put(t.localId(), t);
  }

  void unlisten(SimTransport t) {
    listeners.remove(t.localId(), t);
  }

  /** Whether {@code id}'s node runs now (a crashed or stopped node does not). */
  boolean isUp(NodeId id) {
    return listeners.containsKey(id);
  }

  // ---- connection ends ----

  void opened(SimLink l) {
    open.add(l);
    sim.trace()
        .record(
            sim.nanos(),
            Trace.Kind.OPEN,
            name(l.owner().localId()),
            name(l.remote()),
            l.outbound() ? "outbound" : "inbound");
  }

  void closed(SimLink l, String reason) {
    open.remove(l);
    sim.trace()
        .record(sim.nanos(), Trace.Kind.CLOSE, name(l.owner().localId()), name(l.remote()), reason);
    SimLink other = l.peer;
    if (other != null && !other.isClosed()) {
      // What the other end's keepalives would notice if no goodbye or reset reaches it.
      sim.schedule(
          idleTimeout(other),
          () -> other.closeWithoutGoodbye("idle timeout: peer stopped answering"));
    }
  }

  /** An accepted end whose dialler never completes the handshake closes after the timeout. */
  void watchHandshake(SimLink in) {
    sim.schedule(
        in.owner().config().connectTimeout(),
        () -> {
          if (in.peer == null) {
            in.closeWithoutGoodbye("handshake not completed");
          }
        });
  }

  private void watchPartition(SimLink l) {
    sim.schedule(
        idleTimeout(l),
        () -> {
          if (l.isClosed()) {
            return;
          }
          long since = partitions.separatedSince(l.owner().localId(), l.remote());
          if (since < 0) {
            return; // healed in time
          }
          long due = since + idleTimeout(l).toNanos();
          if (due <= sim.nanos()) {
            l.closeWithoutGoodbye("idle timeout: peer unreachable");
          } else {
            watchPartitionAt(l, due);
          }
        });
  }

  private void watchPartitionAt(SimLink l, long dueNanos) {
    sim.schedule(Duration.ofNanos(dueNanos - sim.nanos()), () -> watchPartition(l));
  }

  private static Duration idleTimeout(SimLink l) {
    return l.owner().config().idleTimeout();
  }

  // ---- packets ----

  /** What becomes of one packet. */
  private enum Fate {
    ARRIVE,
    /** A reset packet that was lost: TCP does not retransmit those. */
    LOST,
    /** The connection breaks: a reset on the path, or too many retransmissions. */
    RESET
  }

  /**
   * Puts {@code packet} on the wire from {@code from} to {@code to}: it waits for the frames before
   * it, takes its serialization time, any retransmission timeouts and a latency sample, and arrives
   * then (see {@link LinkModel} for what the faults become above a stream).
   */
  void send(NodeId from, NodeId to, Packet packet, int bytes) {
    LinkModel model = link(from, to);
    Wire wire = wires.computeIfAbsent(new Pair(from, to), p -> new Wire());
    // Draw the same random values for every packet, so one packet's fate never shifts another's.
    int losses = losses(model.lossProbability(), 1 - lossRandom.nextDouble());
    long latency = model.latency().sampleNanos(latencyRandom);
    boolean held = reorderRandom.nextDouble() < model.reorderProbability();
    long extra = Math.floorMod(reorderRandom.nextLong(), model.reorderDelay().toNanos() + 1);
    boolean duplicated = duplicateRandom.nextDouble() < model.duplicateProbability();
    boolean reset = resetRandom.nextDouble() < model.resetProbability();
    long now = sim.nanos();
    long serialization = model.serializationNanos(bytes);
    wire.busyUntil = Math.max(now, wire.busyUntil) + serialization * (duplicated ? 2 : 1);
    long arrival = wire.busyUntil + latency + retransmissionNanos(packet, latency, losses);
    if (held) {
      arrival += extra;
    }
    arrival = Math.max(arrival, wire.lastArrival); // in order: nothing overtakes in a stream
    wire.lastArrival = arrival;
    Fate fate;
    if (packet instanceof Packet.Reset) {
      fate = losses > 0 ? Fate.LOST : Fate.ARRIVE;
    } else if (packet instanceof Packet.Frame
        && (reset || losses > LinkModel.MAX_RETRANSMISSIONS)) {
      fate = Fate.RESET;
    } else {
      fate = Fate.ARRIVE;
    }
    Envelope env = packet instanceof Packet.Frame f ? f.envelope() : null;
    sim.trace().record(now, Trace.Kind.SEND, name(from), name(to), env, packet.label());
    sim.schedule(Duration.ofNanos(arrival - now), () -> arrive(from, to, packet, fate));
  }

  /**
   * Losses in a row before a transmission gets through, from one uniform draw {@code u} in {@code
   * (0, 1]}: {@code P(losses >= k) = p^k}, capped one past the retransmission limit.
   */
  private static int losses(double p, double u) {
    if (p <= 0) {
      return 0;
    }
    if (p >= 1) {
      return LinkModel.MAX_RETRANSMISSIONS + 1;
    }
    double k = Math.floor(Math.log(u) / Math.log(p));
    return (int) Math.min(k, LinkModel.MAX_RETRANSMISSIONS + 1);
  }

  /** The timeouts a sender waits through for {@code losses} lost transmissions. */
  private static long retransmissionNanos(Packet packet, long latency, int losses) {
    if (losses == 0 || packet instanceof Packet.Reset) {
      return 0;
    }
    // A SYN's first timeout is a second; a segment's is a few round trips, at least MIN_RTO.
    long rto =
        packet instanceof Packet.Syn
            ? Duration.ofSeconds(1).toNanos()
            : Math.max(LinkModel.MIN_RTO.toNanos(), 4 * latency);
    int doublings = Math.min(losses, LinkModel.MAX_RETRANSMISSIONS);
    return rto * ((1L << doublings) - 1);
  }

  private void arrive(NodeId from, NodeId to, Packet packet, Fate fate) {
    if (packet instanceof Packet.Frame f) {
      f.from().released(f.size());
    }
    if (fate == Fate.LOST) {
      drop(from, to, packet, "loss");
    } else if (partitions.separated(from, to)) {
      drop(from, to, packet, "partition");
    } else if (fate == Fate.RESET && packet instanceof Packet.Frame f) {
      breakConnection(from, to, f);
    } else {
      switch (packet) {
        case Packet.Frame f -> arriveFrame(from, to, f);
        case Packet.Syn s -> arriveSyn(from, to, s);
        case Packet.SynAck a -> arriveSynAck(from, to, a);
        case Packet.Refuse r -> arriveRefuse(from, to, r);
        case Packet.Reset r -> arriveReset(from, to, r);
      }
    }
  }

  /** The path lost the connection {@code f} travelled on: both ends learn it by a reset. */
  private void breakConnection(NodeId from, NodeId to, Packet.Frame f) {
    drop(from, to, f, "connection reset");
    sim.trace().record(sim.nanos(), Trace.Kind.RESET, name(from), name(to), "path");
    SimLink sender = f.from();
    SimLink receiver = sender.peer;
    if (receiver != null) {
      receiver.closeWithoutGoodbye("connection reset");
    }
    sender.closeWithoutGoodbye("connection reset");
  }

  private void arriveFrame(NodeId from, NodeId to, Packet.Frame f) {
    SimLink receiver = f.from().peer;
    Envelope env = f.envelope();
    if (receiver == null || receiver.isClosed()) {
      drop(from, to, f, "connection closed");
      if (env.getKind() != Kind.KIND_GOAWAY && isUp(to) && !f.from().isClosed()) {
        send(to, from, new Packet.Reset(f.from()), 0);
      }
      return;
    }
    if (interceptor != null) {
      Envelope changed = interceptor.intercept(from, to, env);
      if (changed == null) {
        drop(from, to, f, "intercepted");
        return;
      }
      if (!changed.equals(env)) {
        sim.trace().record(sim.nanos(), Trace.Kind.TAMPER, name(from), name(to), changed, "");
        env = changed;
      }
    }
    sim.trace().record(sim.nanos(), Trace.Kind.DELIVER, name(from), name(to), env, "");
    receiver.receive(env);
  }

  private void arriveSyn(NodeId from, NodeId to, Packet.Syn s) {
    SimTransport listener = listeners.get(to);
    if (listener == null) {
      drop(from, to, s, "host down"); // a down host answers nothing: the dial times out
      return;
    }
    delivered(from, to, s);
    listener.onSyn(s.dial());
  }

  private void arriveSynAck(NodeId from, NodeId to, Packet.SynAck a) {
    SimLink in = a.accepted();
    if (!a.dial().pending()) {
      drop(from, to, a, "dial abandoned");
      if (!in.isClosed() && isUp(to)) {
        send(to, from, new Packet.Reset(in), 0);
      }
    } else if (in.isClosed()) {
      drop(from, to, a, "closed during setup"); // the refusal that follows says why
      a.dial()
          .fail(
              TransportException.disconnected(
                  "connection to " + name(from) + " closed during setup"));
    } else {
      delivered(from, to, a);
      a.dial().dialer.onSynAck(a.dial(), in);
    }
  }

  private void arriveRefuse(NodeId from, NodeId to, Packet.Refuse r) {
    if (!r.dial().pending()) {
      drop(from, to, r, "dial abandoned");
      return;
    }
    delivered(from, to, r);
    r.dial()
        .fail(
            TransportException.refused(
                ErrorCode.PERMISSION_DENIED, "refused by " + name(from) + ": " + r.reason()));
  }

  private void arriveReset(NodeId from, NodeId to, Packet.Reset r) {
    if (r.to().isClosed()) {
      drop(from, to, r, "connection closed");
      return;
    }
    sim.trace().record(sim.nanos(), Trace.Kind.RESET, name(from), name(to), "");
    r.to().closeWithoutGoodbye("connection reset by peer");
  }

  private void delivered(NodeId from, NodeId to, Packet p) {
    sim.trace().record(sim.nanos(), Trace.Kind.DELIVER, name(from), name(to), p.label());
  }

  private void drop(NodeId from, NodeId to, Packet p, String why) {
    Envelope env = p instanceof Packet.Frame f ? f.envelope() : null;
    String label = p.label();
    sim.trace()
        .record(
            sim.nanos(),
            Trace.Kind.DROP,
            name(from),
            name(to),
            env,
            label.isEmpty() ? why : label + ": " + why);
  }
}
