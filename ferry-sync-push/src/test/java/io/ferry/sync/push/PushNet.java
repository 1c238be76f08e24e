package io.ferry.sync.push;

import com.google.protobuf.ByteString;
import io.ferry.core.ErrorCode;
import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.ProtocolHandler;
import io.ferry.net.ProtocolId;
import io.ferry.net.Responder;
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
import java.util.function.BooleanSupplier;

/**
 * Nodes on {@link MemoryTransport}s whose protocol code all runs on one {@link ManualScheduler}, in
 * virtual time, with every frame handed to its handler in the order it was sent: a run depends on
 * its seeds and script only, not on the transports' threads.
 *
 * <p>How: protocol code runs on the test thread (inside {@link #settle} and {@link #advance}), so
 * what it sends gets a sequence number there. The receiving end does not hand a frame to its
 * handler on its inbox thread but parks it; once no frame is in transit, {@link #settle} hands the
 * parked frames over in sequence order on the test thread, runs the tasks due, and repeats until
 * nothing is in transit, parked or due. Answers to requests and connection events are parked the
 * same way. Frames lost to a closed connection are written off when the receiver hears of the
 * close.
 *
 * <p>ferry-gossip's {@code TestNet}, with listeners that can be removed (PushSync removes its own
 * on close). For tests only; every node of a test must come from one instance.
 */
final class PushNet implements AutoCloseable {
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(20);

  private final MemoryNetwork network = new MemoryNetwork();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final List<AutoCloseable> open = new ArrayList<>();
  private int ports;

  // Guarded by this.
  private final PriorityQueue<Parked> parked = new PriorityQueue<>();
  private final Map<Tag, ArrayDeque<Long>> tags = new HashMap<>();
  private final Map<Long, Call> calls = new HashMap<>();
  private final Map<Pair, Integer> inTransit = new HashMap<>();
  private long nextSeq;
  private long changes;

  private record Parked(long seq, Runnable delivery) implements Comparable<Parked> {
    @Override
    public int compareTo(Parked o) {
      return Long.compare(seq, o.seq);
    }
  }

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

  /** Where a request is: its frame, then its answer's, is in transit or not. */
  private enum Phase {
    SENT,
    ARRIVED,
    ANSWERED,
    DONE
  }

  private static final class Call {
    final Pair pair;
    Phase phase = Phase.SENT;
    long answerSeq = -1;

    Call(Pair pair) {
      this.pair = pair;
    }
  }

  /** The scheduler every node's protocol code runs on. */
  ManualScheduler scheduler() {
    return scheduler;
  }

  /** A key made from {@code seed}, so a test's node ids, and their order, are fixed. */
  static NodeKey key(int seed) {
    byte[] b = new byte[32];
    b[0] = (byte) seed;
    b[1] = (byte) (seed >> 8);
    b[31] = 0x5c;
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
   * Delivers every frame and runs every task due now, and what they cause, until the network is
   * quiet: nothing in transit, nothing parked, nothing due. Virtual time does not move.
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
        batch.forEach(p -> p.delivery().run());
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
   * Settles until {@code done} holds: for what a transport tells on its own thread, unasked (a
   * closed connection), which {@link #settle} cannot know is coming.
   *
   * @throws AssertionError when it does not hold within the settle timeout
   */
  void settleUntil(BooleanSupplier done) {
    long giveUp = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    settle();
    while (!done.getAsBoolean()) {
      long left = giveUp - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("not done after settling for " + SETTLE_TIMEOUT);
      }
      synchronized (this) {
        if (parked.isEmpty() && inTransit.isEmpty()) {
          try {
            TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50)));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
          }
        }
      }
      settle();
    }
  }

  /**
   * Moves virtual time forward by {@code by}, settling the network at each instant a task is due,
   * so every frame sent at one instant is handled there.
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

  private synchronized long sent(ByteString payload, Pair pair) {
    long seq = nextSeq++;
    tags.computeIfAbsent(new Tag(payload, pair.to()), t -> new ArrayDeque<>()).add(seq);
    inTransit.merge(pair, 1, Integer::sum);
    return seq;
  }

  /** The sequence number a frame was sent with, now that it arrived (a new one if unknown). */
  private synchronized long arrived(ByteString payload, Pair pair) {
    Tag tag = new Tag(payload, pair.to());
    ArrayDeque<Long> seqs = tags.get(tag);
    Long seq = seqs == null ? null : seqs.poll();
    if (seqs != null && seqs.isEmpty()) {
      tags.remove(tag);
    }
    return seq == null ? nextSeq++ : seq;
  }

  private synchronized void lessInTransit(Pair pair) {
    inTransit.computeIfPresent(pair, (p, n) -> n <= 1 ? null : n - 1);
    changed();
  }

  private synchronized void writeOff(Pair pair) {
    inTransit.remove(pair);
    changed();
  }

  private synchronized void park(long seq, Runnable delivery) {
    parked.add(new Parked(seq, delivery));
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
   * A node's transport: a {@link MemoryTransport} whose frames, answers and connection events are
   * parked for {@link #settle} instead of handed over on its threads.
   */
  final class Wire implements Transport {
    private final MemoryTransport delegate;
    private final Map<PeerListener, PeerListener> listeners = new ConcurrentHashMap<>();

    private Wire(MemoryTransport delegate) {
      this.delegate = delegate;
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
              synchronized (PushNet.this) {
                park(arrived(payload, pair), () -> handler.onMessage(from, payload));
                lessInTransit(pair);
              }
            }

            @Override
            public void onRequest(NodeId from, ByteString payload, Responder responder) {
              Pair pair = new Pair(from, me);
              // Parked before it stops counting as in transit, so settle never sees neither.
              synchronized (PushNet.this) {
                long seq = arrived(payload, pair);
                Call call = calls.remove(seq);
                park(seq, () -> handler.onRequest(from, payload, answering(call, responder)));
                if (call != null && call.phase == Phase.SENT) {
                  call.phase = Phase.ARRIVED;
                  lessInTransit(pair);
                }
              }
            }
          });
    }

    /** A responder that counts its answer as a frame in transit to the requester. */
    private Responder answering(Call call, Responder responder) {
      return new Responder() {
        @Override
        public void respond(ByteString payload) {
          answered();
          responder.respond(payload);
        }

        @Override
        public void fail(ErrorCode code, String message) {
          answered();
          responder.fail(code, message);
        }

        private void answered() {
          if (call == null) {
            return;
          }
          synchronized (PushNet.this) {
            if (call.phase == Phase.ARRIVED) {
              call.phase = Phase.ANSWERED;
              call.answerSeq = nextSeq++;
              inTransit.merge(new Pair(call.pair.to(), call.pair.from()), 1, Integer::sum);
            }
          }
        }

        @Override
        public boolean isCancelled() {
          return responder.isCancelled();
        }

        @Override
        public void onCancel(Runnable action) {
          responder.onCancel(action);
        }
      };
    }

    @Override
    public void addListener(PeerListener listener) {
      PeerListener parking =
          new PeerListener() {
            @Override
            public void onConnected(NodeId peer, boolean outbound) {
              park(freshSeq(), () -> listener.onConnected(peer, outbound));
            }

            @Override
            public void onDisconnected(NodeId peer, String reason) {
              park(freshSeq(), () -> listener.onDisconnected(peer, reason));
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
      Pair pair = new Pair(localId(), peer);
      Call call = new Call(pair);
      synchronized (PushNet.this) {
        calls.put(sent(payload, pair), call);
      }
      CompletableFuture<ByteString> answer = new CompletableFuture<>();
      delegate
          .request(peer, protocol, payload, timeout)
          .whenComplete(
              (bytes, error) -> {
                synchronized (PushNet.this) {
                  park(
                      call.answerSeq >= 0 ? call.answerSeq : nextSeq++,
                      () -> {
                        if (error != null) {
                          answer.completeExceptionally(error);
                        } else {
                          answer.complete(bytes);
                        }
                      });
                  switch (call.phase) {
                    case SENT -> lessInTransit(pair); // refused or lost before its handler
                    case ANSWERED -> lessInTransit(new Pair(peer, localId()));
                    case ARRIVED, DONE -> {}
                  }
                  call.phase = Phase.DONE;
                  calls.values().remove(call);
                }
              });
      return answer;
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
