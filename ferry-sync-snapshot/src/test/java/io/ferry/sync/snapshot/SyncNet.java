package io.ferry.sync.snapshot;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Transport;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.net.peers.PeerManager;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.SortedSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

/**
 * Nodes on real {@link MemoryTransport}s (the transport's engine, limits and peer scoring) whose
 * protocol code all runs on one {@link ManualScheduler}, in virtual time: every one-way frame is
 * handed to its handler on the test thread, {@link #latency} of virtual time after it was sent, in
 * the order frames were sent. A run depends on its seeds and script only, not on the transports'
 * threads. The same idea as ferry-gossip's {@code TestNet}, cut down to the one-way messages state
 * sync uses and given a link latency so that a sync spans virtual time.
 *
 * <p>How: protocol code runs on the test thread (inside {@link #settle} and {@link #advance}), so
 * what it sends gets a sequence number and a send time there. The receiving transport does not hand
 * a frame to its handler on its inbox thread but parks it; once no frame is in transit, {@link
 * #settle} schedules the parked frames on the scheduler at their send time plus the latency, in
 * sequence order, runs the tasks due, and repeats until nothing is in transit, parked or due.
 * Frames lost to a closed connection are written off when the receiver hears of the close.
 *
 * <p>For tests only; every node of a test must come from one instance.
 */
final class SyncNet implements AutoCloseable {
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(20);

  private final MemoryNetwork network = new MemoryNetwork();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final Duration latency;
  private final List<AutoCloseable> open = new ArrayList<>();
  private int ports;

  // Guarded by this.
  private final PriorityQueue<Parked> parked = new PriorityQueue<>();
  private final Map<Tag, ArrayDeque<Sent>> tags = new HashMap<>();
  private final Map<Pair, Integer> inTransit = new HashMap<>();
  private long nextSeq;
  private long changes;

  private record Parked(long seq, long due, Runnable delivery) implements Comparable<Parked> {
    @Override
    public int compareTo(Parked o) {
      return Long.compare(seq, o.seq);
    }
  }

  private record Sent(long seq, long at) {}

  /** Frames from one node to another. */
  private record Pair(NodeId from, NodeId to) {}

  /** A payload object on its way to one node: frames are passed as objects, never copied. */
  private static final class Tag {
    final ByteString payload;
    final NodeId to;

    Tag(ByteString payload, NodeId to) {
      this.payload = payload;
      this.to = to;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Tag t && t.payload == payload && t.to.equals(to);
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(payload) * 31 + to.hashCode();
    }
  }

  SyncNet(Duration latency) {
    this.latency = latency;
  }

  /** The scheduler every node's protocol code runs on. */
  ManualScheduler scheduler() {
    return scheduler;
  }

  /** Virtual time since the start. */
  Duration now() {
    return Duration.ofNanos(scheduler.clock().nanos());
  }

  /** A key made from {@code seed}, so a test's node ids, and their order, are fixed. */
  static NodeKey key(int seed) {
    byte[] b = new byte[32];
    b[0] = (byte) seed;
    b[1] = (byte) (seed >> 8);
    b[31] = 0x5b;
    return NodeKey.fromSeed(b);
  }

  /** A node's transport on this network. */
  Wire transport(NodeKey key) {
    MemoryTransport t =
        new MemoryTransport(
            network, key.id(), PeerAddress.of("node" + ports++, 1), TransportConfig.DEFAULT);
    Wire wire = new Wire(t);
    open.add(wire);
    t.addListener(
        new PeerListener() {
          @Override
          public void onDisconnected(NodeId peer, String reason) {
            writeOff(new Pair(peer, t.localId()));
          }
        });
    return wire;
  }

  /** Connects {@code from} to {@code to} and settles, so both have handled the connection. */
  void connect(Wire from, Wire to) {
    try {
      from.connect(to.address().withId(to.localId())).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("connect failed", e);
    }
    settle();
  }

  /** Registers {@code closeable} to be closed, before the transports, at {@link #close}. */
  <T extends AutoCloseable> T closeLater(T closeable) {
    open.add(closeable);
    return closeable;
  }

  /**
   * Hands every parked frame to the scheduler and runs every task due now, and what they cause,
   * until the network is quiet: nothing in transit, nothing parked, nothing due. Virtual time does
   * not move.
   */
  void settle() {
    long giveUp = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    while (true) {
      List<Parked> batch = new ArrayList<>();
      long seen;
      synchronized (this) {
        seen = changes;
        if (inTransit.isEmpty()) {
          while (!parked.isEmpty()) {
            batch.add(parked.poll());
          }
        }
      }
      if (!batch.isEmpty()) {
        long now = scheduler.clock().nanos();
        for (Parked p : batch) {
          scheduler.schedule(Duration.ofNanos(Math.max(0, p.due() - now)), p.delivery());
        }
        continue;
      }
      if (scheduler.runDue() > 0) {
        continue;
      }
      synchronized (this) {
        if (inTransit.isEmpty() && parked.isEmpty()) {
          return;
        }
        long left = giveUp - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("the network did not settle; in transit: " + inTransit);
        }
        if (changes == seen) {
          try {
            TimeUnit.NANOSECONDS.timedWait(this, left);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
          }
        }
      }
    }
  }

  /**
   * Moves virtual time forward by {@code by}, settling the network at each instant a task is due,
   * so every frame delivered at one instant is handled there.
   */
  void advance(Duration by) {
    long target = scheduler.clock().nanos() + by.toNanos();
    settle();
    while (true) {
      long next = scheduler.nextDeadline();
      if (next < 0 || next > target) {
        break;
      }
      scheduler.advance(Duration.ofNanos(next - scheduler.clock().nanos()));
      settle();
    }
    scheduler.advance(Duration.ofNanos(target - scheduler.clock().nanos()));
    settle();
  }

  /**
   * Moves virtual time forward, instant by instant, until {@code done} holds.
   *
   * @throws AssertionError when it does not within {@code max}, or nothing is left to run
   */
  void advanceUntil(BooleanSupplier done, Duration max) {
    long end = scheduler.clock().nanos() + max.toNanos();
    settle();
    while (!done.getAsBoolean()) {
      long next = scheduler.nextDeadline();
      if (next < 0 || next > end) {
        throw new AssertionError(
            "not done after "
                + now()
                + " of virtual time; "
                + (next < 0 ? "nothing left to run" : "out of time"));
      }
      scheduler.advance(Duration.ofNanos(next - scheduler.clock().nanos()));
      settle();
    }
  }

  @Override
  public void close() {
    RuntimeException failed = null;
    for (int i = open.size() - 1; i >= 0; i--) {
      try {
        open.get(i).close();
      } catch (Exception e) {
        if (failed == null) {
          failed = new IllegalStateException("closing the test network failed", e);
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }

  // ------------------------------------------------------------------ bookkeeping

  private synchronized void sent(ByteString payload, Pair pair) {
    Sent s = new Sent(nextSeq++, scheduler.clock().nanos());
    tags.computeIfAbsent(new Tag(payload, pair.to()), t -> new ArrayDeque<>()).add(s);
    inTransit.merge(pair, 1, Integer::sum);
  }

  /** When a frame was sent, now that it arrived (now, with a new number, if unknown). */
  private synchronized Sent arrived(ByteString payload, Pair pair) {
    Tag tag = new Tag(payload, pair.to());
    ArrayDeque<Sent> sends = tags.get(tag);
    Sent s = sends == null ? null : sends.poll();
    if (sends != null && sends.isEmpty()) {
      tags.remove(tag);
    }
    return s == null ? new Sent(nextSeq++, scheduler.clock().nanos()) : s;
  }

  private synchronized void lessInTransit(Pair pair) {
    inTransit.computeIfPresent(pair, (p, n) -> n <= 1 ? null : n - 1);
    changed();
  }

  private synchronized void writeOff(Pair pair) {
    inTransit.remove(pair);
    changed();
  }

  private synchronized void park(long seq, long due, Runnable delivery) {
    parked.add(new Parked(seq, due, delivery));
    changed();
  }

  private synchronized long freshSeq() {
    return nextSeq++;
  }

  private void changed() {
    changes++;
    notifyAll();
  }

  /**
   * A node's transport: a {@link MemoryTransport} whose frames and connection events are parked for
   * {@link #settle} instead of handed over on its threads. One-way messages only: state sync sends
   * no requests.
   */
  final class Wire implements Transport {
    private final MemoryTransport delegate;
    private final Map<PeerListener, PeerListener> listeners = new ConcurrentHashMap<>();
    private volatile Predicate<ByteString> inbound = p -> true;
    private final AtomicLong droppedInbound = new AtomicLong();

    private Wire(MemoryTransport delegate) {
      this.delegate = delegate;
    }

    /**
     * From now on, frames that fail {@code keep} are dropped on arrival, as a stalled peer would.
     */
    void filterInbound(Predicate<ByteString> keep) {
      this.inbound = keep;
    }

    /** Frames dropped by the inbound filter. */
    long droppedInbound() {
      return droppedInbound.get();
    }

    @Override
    public NodeId localId() {
      return delegate.localId();
    }

    @Override
    public PeerAddress address() {
      return delegate.address();
    }

    @Override
    public void register(ProtocolId protocol, ProtocolHandler handler) {
      NodeId me = localId();
      delegate.register(
          protocol,
          new ProtocolHandler() {
            @Override
            public void onMessage(NodeId from, ByteString payload) {
              Pair pair = new Pair(from, me);
              synchronized (SyncNet.this) {
                Sent s = arrived(payload, pair);
                park(
                    s.seq(),
                    s.at() + latency.toNanos(),
                    () -> {
                      if (inbound.test(payload)) {
                        handler.onMessage(from, payload);
                      } else {
                        droppedInbound.incrementAndGet();
                      }
                    });
                lessInTransit(pair);
              }
            }
          });
    }

    @Override
    public void addListener(PeerListener listener) {
      PeerListener parking =
          new PeerListener() {
            @Override
            public void onConnected(NodeId peer, boolean outbound) {
              park(freshSeq(), 0, () -> listener.onConnected(peer, outbound));
            }

            @Override
            public void onDisconnected(NodeId peer, String reason) {
              park(freshSeq(), 0, () -> listener.onDisconnected(peer, reason));
            }
          };
      listeners.put(listener, parking);
      delegate.addListener(parking);
    }

    @Override
    public void removeListener(PeerListener listener) {
      PeerListener parking = listeners.remove(listener);
      if (parking != null) {
        delegate.removeListener(parking);
      }
    }

    @Override
    public CompletableFuture<NodeId> connect(PeerAddress address) {
      return delegate.connect(address);
    }

    @Override
    public SortedSet<NodeId> peers() {
      return delegate.peers();
    }

    @Override
    public CompletableFuture<Void> send(NodeId peer, ProtocolId protocol, ByteString payload) {
      Pair pair = new Pair(localId(), peer);
      sent(payload, pair);
      return delegate
          .send(peer, protocol, payload)
          .whenComplete(
              (v, e) -> {
                if (e != null) {
                  lessInTransit(pair);
                }
              });
    }

    @Override
    public CompletableFuture<ByteString> request(
        NodeId peer, ProtocolId protocol, ByteString payload, Duration timeout) {
      throw new UnsupportedOperationException("state sync sends one-way messages only");
    }

    @Override
    public PeerManager peerManager() {
      return delegate.peerManager();
    }

    @Override
    public void disconnect(NodeId peer, String reason) {
      delegate.disconnect(peer, reason);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
