package io.ferry.net.testing;

import io.ferry.core.identity.NodeId;
import io.ferry.core.identity.NodeKey;
import io.ferry.core.runtime.ManualScheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.TransportConfig;
import io.ferry.net.memory.MemoryNetwork;
import io.ferry.net.memory.MemoryTransport;
import io.ferry.net.testing.Transit.Pair;
import io.ferry.net.testing.Transit.Parked;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Nodes on {@link MemoryTransport}s whose protocol code all runs on one {@link ManualScheduler}, in
 * virtual time, with every frame handed to its handler in the order it was sent: a run depends on
 * its seeds and script only, not on the transports' threads.
 *
 * <p>How: protocol code runs on the test thread (inside {@link #settle} and {@link #advance}), so
 * what it sends gets a sequence number and a send time there. The receiving {@link Wire} does not
 * hand a frame to its handler on its inbox thread but parks it; once no frame is in transit, {@link
 * #settle} hands the parked frames over in sequence order, runs the tasks due, and repeats until
 * nothing is in transit, parked or due. Answers to requests and connection events are parked the
 * same way. Frames lost to a closed connection are written off when the receiver hears of the
 * close.
 *
 * <p>Without a latency, {@link #settle} hands parked frames over itself, on the test thread, in the
 * instant they were sent. With a latency, it schedules each frame at its send time plus the
 * latency, so that an exchange spans virtual time (connection events, and request failures that no
 * handler gave, are scheduled at once).
 *
 * <p>For tests only, on one test thread; every node of a test must come from one instance.
 */
public final class TestNet implements AutoCloseable {
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration NEWS_POLL = Duration.ofMillis(50);

  private final MemoryNetwork network = new MemoryNetwork();
  private final ManualScheduler scheduler = new ManualScheduler();
  private final Duration latency;
  private final Transit transit;
  private final List<AutoCloseable> open = new ArrayList<>();
  private int ports;

  /** A network whose frames arrive in the instant they are sent. */
  public TestNet() {
    this(Duration.ZERO);
  }

  /** A network whose frames arrive {@code latency} of virtual time after they are sent. */
  public TestNet(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("negative latency: " + latency);
    }
    this.latency = latency;
    this.transit = new Transit(scheduler.clock(), latency);
  }

  /** The scheduler every node's protocol code runs on. */
  public ManualScheduler scheduler() {
    return scheduler;
  }

  /** Virtual time since the start. */
  public Duration now() {
    return Duration.ofNanos(scheduler.clock().nanos());
  }

  /** A key made from {@code seed}, so a test's node ids, and their order, are fixed. */
  public static NodeKey key(int seed) {
    byte[] b = new byte[32];
    b[0] = (byte) seed;
    b[1] = (byte) (seed >> 8);
    b[31] = 0x5a;
    return NodeKey.fromSeed(b);
  }

  /** A node's transport on this network. */
  public Wire transport(NodeKey key) {
    MemoryTransport t =
        new MemoryTransport(
            network, key.id(), PeerAddress.of("node" + ports++, 1), TransportConfig.DEFAULT);
    Wire wire = new Wire(t, transit);
    open.add(wire);
    t.addListener(
        new PeerListener() {
          @Override
          public void onDisconnected(NodeId peer, String reason) {
            transit.writeOff(new Pair(peer, t.localId()));
          }
        });
    return wire;
  }

  /** Connects {@code from} to {@code to} and settles, so both have handled the connection. */
  public void connect(Wire from, Wire to) {
    try {
      from.connect(to.address().withId(to.localId())).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("connect failed", e);
    }
    settle();
  }

  /**
   * Registers {@code closeable} to be closed at {@link #close}, before the transports made before
   * it (so a node's protocol closes before its transport).
   */
  public <T extends AutoCloseable> T closeLater(T closeable) {
    open.add(closeable);
    return closeable;
  }

  /**
   * Delivers every parked frame (or, with a latency, schedules it) and runs every task due now, and
   * what they cause, until the network is quiet: nothing in transit, nothing parked, nothing due.
   * Virtual time does not move.
   *
   * @throws AssertionError when it is not quiet within the settle timeout (real time)
   */
  public void settle() {
    long giveUp = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    while (true) {
      long seen = transit.changes();
      List<Parked> batch = transit.takeParked();
      if (!batch.isEmpty()) {
        deliver(batch);
        continue;
      }
      if (scheduler.runDue() > 0) {
        continue;
      }
      if (transit.quietOrAwait(seen, giveUp)) {
        return;
      }
    }
  }

  private void deliver(List<Parked> batch) {
    if (latency.isZero()) {
      batch.forEach(p -> p.delivery().run());
      return;
    }
    long now = scheduler.clock().nanos();
    for (Parked p : batch) {
      scheduler.schedule(Duration.ofNanos(Math.max(0, p.due() - now)), p.delivery());
    }
  }

  /**
   * Settles until {@code done} holds: for what a transport tells on its own thread, unasked (a
   * closed connection), which {@link #settle} cannot know is coming.
   *
   * @throws AssertionError when it does not hold within the settle timeout (real time)
   */
  public void settleUntil(BooleanSupplier done) {
    long giveUp = System.nanoTime() + SETTLE_TIMEOUT.toNanos();
    settle();
    while (!done.getAsBoolean()) {
      long left = giveUp - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("not done after settling for " + SETTLE_TIMEOUT);
      }
      transit.awaitNews(Math.min(left, NEWS_POLL.toNanos()));
      settle();
    }
  }

  /**
   * Moves virtual time forward by {@code by}, settling the network at each instant a task is due,
   * so every frame sent or delivered at one instant is handled there.
   */
  public void advance(Duration by) {
    long target = scheduler.clock().nanos() + by.toNanos();
    settle();
    while (true) {
      long next = scheduler.nextDeadline();
      if (next < 0 || next > target) {
        break;
      }
      stepTo(next);
    }
    stepTo(target);
  }

  /**
   * Moves virtual time forward, instant by instant, until {@code done} holds.
   *
   * @throws AssertionError when it does not within {@code max}, or nothing is left to run
   */
  public void advanceUntil(BooleanSupplier done, Duration max) {
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
      stepTo(next);
    }
  }

  private void stepTo(long nanos) {
    scheduler.advance(Duration.ofNanos(nanos - scheduler.clock().nanos()));
    settle();
  }

  /** Closes every transport and everything {@link #closeLater} registered, newest first. */
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
}
