package io.ferry.net.testing;

import com.google.protobuf.ByteString;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.ManualClock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The books of one {@link TestNet}: which frames are in transit between which nodes, the sequence
 * number and virtual send time each was given when sent, and the deliveries parked until {@link
 * TestNet#settle} hands them over. The transports' threads write here; the test thread reads and
 * waits here.
 *
 * <p>A frame is known on arrival by its payload object (frames are passed as objects, never copied)
 * and its receiver, so it keeps the number it was sent with. A request is followed through its
 * {@link Call}: its frame, then its answer's, is in transit until the other end has it.
 *
 * <p>Thread-safe: every method holds this object's monitor, which is also what the test thread
 * waits on for a change.
 */
final class Transit {
  private final ManualClock clock;
  private final long latency;

  private final PriorityQueue<Parked> parked = new PriorityQueue<>();
  private final Map<Tag, ArrayDeque<Sent>> tags = new HashMap<>();
  private final Map<Long, Call> calls = new HashMap<>();
  private final Map<Pair, Integer> inTransit = new HashMap<>();
  private long nextSeq;
  private long changes;

  Transit(ManualClock clock, Duration latency) {
    this.clock = clock;
    this.latency = latency.toNanos();
  }

  /** A delivery held back: handed over in {@code seq} order, not before {@code due} (nanos). */
  record Parked(long seq, long due, Runnable delivery) implements Comparable<Parked> {
    @Override
    public int compareTo(Parked o) {
      return Long.compare(seq, o.seq);
    }
  }

  /** Frames from one node to another. */
  record Pair(NodeId from, NodeId to) {
    Pair reversed() {
      return new Pair(to, from);
    }
  }

  /** A frame's number, and when it was sent in virtual nanos. */
  record Sent(long seq, long at) {}

  /** A payload object on its way to one node; equal only to the same object. */
  private record Tag(ByteString payload, NodeId to) {
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
  enum Phase {
    SENT,
    ARRIVED,
    ANSWERED,
    DONE
  }

  /** One request, from the requester's send to its answer's delivery. Guarded by the Transit. */
  static final class Call {
    final Pair pair;
    Phase phase = Phase.SENT;
    Sent answer;

    Call(Pair pair) {
      this.pair = pair;
    }
  }

  // ------------------------------------------------------------------ frames

  /** Counts a frame sent now as in transit, and numbers it. */
  synchronized Sent sent(ByteString payload, Pair pair) {
    Sent s = new Sent(nextSeq++, clock.nanos());
    tags.computeIfAbsent(new Tag(payload, pair.to()), t -> new ArrayDeque<>()).add(s);
    inTransit.merge(pair, 1, Integer::sum);
    return s;
  }

  /** Counts a request sent now as in transit, and follows it. */
  synchronized Call request(ByteString payload, Pair pair) {
    Call call = new Call(pair);
    calls.put(sent(payload, pair).seq(), call);
    return call;
  }

  /**
   * Parks a one-way frame that arrived, a latency after it was sent, and stops counting it as in
   * transit (in one step, so that {@link TestNet#settle} never sees it neither in transit nor
   * parked).
   */
  synchronized void arrived(ByteString payload, Pair pair, Runnable delivery) {
    park(sendOf(payload, pair), delivery);
    lessInTransit(pair);
  }

  /**
   * Parks a request that arrived, as {@link #arrived}; {@code delivery} is given its call (null if
   * it was not sent through a {@link Wire}), to count the answer.
   */
  synchronized void requestArrived(
      ByteString payload, Pair pair, Function<Call, Runnable> delivery) {
    Sent s = sendOf(payload, pair);
    Call call = calls.remove(s.seq());
    park(s, delivery.apply(call));
    if (call != null && call.phase == Phase.SENT) {
      call.phase = Phase.ARRIVED;
      lessInTransit(pair);
    }
  }

  /** Counts the answer to {@code call}, given now by its handler, as in transit back. */
  synchronized void answered(Call call) {
    if (call != null && call.phase == Phase.ARRIVED) {
      call.phase = Phase.ANSWERED;
      call.answer = new Sent(nextSeq++, clock.nanos());
      inTransit.merge(call.pair.reversed(), 1, Integer::sum);
    }
  }

  /**
   * Parks the outcome of {@code call} at the requester: an answer a latency after its handler gave
   * it; a failure no handler gave (refusal, timeout, disconnect) at once.
   */
  synchronized void requestDone(Call call, Runnable delivery) {
    if (call.answer != null) {
      park(call.answer, delivery);
    } else {
      park(nextSeq++, clock.nanos(), delivery);
    }
    switch (call.phase) {
      case SENT -> lessInTransit(call.pair); // refused or lost before its handler
      case ANSWERED -> lessInTransit(call.pair.reversed());
      case ARRIVED, DONE -> {}
    }
    call.phase = Phase.DONE;
    calls.values().remove(call);
  }

  /** Parks a connection event, to be handed over as soon as the network settles. */
  synchronized void event(Runnable delivery) {
    park(nextSeq++, 0, delivery);
  }

  /** A frame that the transport failed to send is not in transit. */
  synchronized void notSent(Pair pair) {
    lessInTransit(pair);
  }

  /** Frames lost to a closed connection: the receiver heard of the close. */
  synchronized void writeOff(Pair pair) {
    inTransit.remove(pair);
    changed();
  }

  /** The send of a frame that arrived (sent now, with a new number, if unknown). */
  private Sent sendOf(ByteString payload, Pair pair) {
    Tag tag = new Tag(payload, pair.to());
    ArrayDeque<Sent> sends = tags.get(tag);
    Sent s = sends == null ? null : sends.poll();
    if (sends != null && sends.isEmpty()) {
      tags.remove(tag);
    }
    return s == null ? new Sent(nextSeq++, clock.nanos()) : s;
  }

  private void park(Sent s, Runnable delivery) {
    park(s.seq(), s.at() + latency, delivery);
  }

  private void park(long seq, long due, Runnable delivery) {
    parked.add(new Parked(seq, due, delivery));
    changed();
  }

  private void lessInTransit(Pair pair) {
    inTransit.computeIfPresent(pair, (p, n) -> n <= 1 ? null : n - 1);
    changed();
  }

  private void changed() {
    changes++;
    notifyAll();
  }

  // ------------------------------------------------------------------ the test thread

  /** A count that moves at every change; read it before {@link #takeParked}. */
  synchronized long changes() {
    return changes;
  }

  /**
   * Every parked delivery in sequence order, once nothing is in transit (none before: a frame in
   * transit may have been sent before one parked).
   */
  synchronized List<Parked> takeParked() {
    List<Parked> batch = new ArrayList<>();
    if (inTransit.isEmpty()) {
      while (!parked.isEmpty()) {
        batch.add(parked.poll());
      }
    }
    return batch;
  }

  /**
   * Waits until something changes after {@code seen}, unless the network is quiet.
   *
   * @return whether it is quiet: nothing in transit, nothing parked
   * @throws AssertionError when it is not quiet by {@code giveUp} ({@link System#nanoTime})
   */
  synchronized boolean quietOrAwait(long seen, long giveUp) {
    if (quiet()) {
      return true;
    }
    long left = giveUp - System.nanoTime();
    if (left <= 0) {
      throw new AssertionError("the network did not settle; in transit: " + inTransit);
    }
    if (changes == seen) {
      await(left);
    }
    return false;
  }

  /**
   * Waits, at most {@code nanos}, for something to arrive at a quiet network: what a transport
   * tells on its own thread, unasked.
   */
  synchronized void awaitNews(long nanos) {
    if (quiet()) {
      await(nanos);
    }
  }

  private boolean quiet() {
    return inTransit.isEmpty() && parked.isEmpty();
  }

  private void await(long nanos) {
    try {
      TimeUnit.NANOSECONDS.timedWait(this, nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
