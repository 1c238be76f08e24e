package io.ferry.net.peers;

import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Cancellable;
import io.ferry.core.runtime.RandomSource;
import io.ferry.core.runtime.Scheduler;
import io.ferry.net.PeerAddress;
import io.ferry.net.PeerListener;
import io.ferry.net.Transport;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.SequencedMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps connections to a set of configured peers: dials each, and when a dial fails or the
 * connection drops, dials again after a {@link Backoff} delay that grows with each failure and
 * resets on success. Runs on any {@link Transport} with an injected scheduler and random source, so
 * redials replay in the simulator.
 *
 * <p>Thread-safe.
 */
public final class PeerKeeper implements PeerListener, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(PeerKeeper.class);

  private final Transport transport;
  private final Scheduler scheduler;
  private final RandomSource random;
  private final Backoff backoff;
  private final SequencedMap<String, Kept> kept = new LinkedHashMap<>(); // guarded by this
  private boolean closed; // guarded by this

  private static final class Kept {
    final PeerAddress address;
    Optional<NodeId> id;
    int failures;
    Cancellable timer = () -> false;
    boolean dialling;

    Kept(PeerAddress address) {
      this.address = address;
      this.id = address.expectedId();
    }
  }

  public PeerKeeper(
      Transport transport, Scheduler scheduler, RandomSource random, Backoff backoff) {
    this.transport = transport;
    this.scheduler = scheduler;
    this.random = random;
    this.backoff = backoff;
    transport.addListener(this);
  }

  /** Starts keeping a connection to {@code address}; dials at once. */
  public void keep(PeerAddress address) {
    Kept k;
    synchronized (this) {
      if (closed || kept.containsKey(address.hostPort())) {
        return;
      }
      k = new Kept(address);
      kept.put(address.hostPort(), k);
    }
    dial(k);
  }

  /**
   * Stops keeping {@code address}: no more dials or redials of it, and a dial in flight is not
   * retried. An open connection stays open; the caller disconnects it if it must.
   *
   * @return the id the address proved to be, if a dial to it ever succeeded
   */
  public Optional<NodeId> release(PeerAddress address) {
    Kept k;
    synchronized (this) {
      k = kept.remove(address.hostPort());
      if (k == null) {
        return Optional.empty();
      }
      k.timer.cancel();
      return k.id;
    }
  }

  /** The peers this keeper has connected, by address, for status pages. */
  public synchronized List<PeerAddress> addresses() {
    List<PeerAddress> out = new ArrayList<>();
    for (Kept k : kept.values()) {
      out.add(k.id.map(k.address::withId).orElse(k.address));
    }
    return out;
  }

  private void dial(Kept k) {
    synchronized (this) {
      if (closed || k.dialling || !isKept(k)) {
        return;
      }
      k.dialling = true;
    }
    transport
        .connect(k.address)
        .whenComplete(
            (id, e) -> {
              synchronized (this) {
                k.dialling = false;
                if (e == null) {
                  k.id = Optional.of(id);
                  k.failures = 0;
                  return;
                }
              }
              retry(k, "dial failed: " + (e.getCause() != null ? e.getCause() : e).getMessage());
            });
  }

  private void retry(Kept k, String why) {
    Duration delay;
    synchronized (this) {
      if (closed || !isKept(k)) {
        return; // released meanwhile
      }
      delay = backoff.delay(k.failures++, random);
      k.timer.cancel();
      k.timer = scheduler.schedule(delay, () -> dial(k));
    }
    log.info("peer {}: {}; redialling in {} ms", k.address, why, delay.toMillis());
  }

  private boolean isKept(Kept k) {
    return kept.get(k.address.hostPort()) == k;
  }

  @Override
  public void onDisconnected(NodeId peer, String reason) {
    List<Kept> lost = new ArrayList<>();
    synchronized (this) {
      for (Kept k : kept.values()) {
        if (k.id.isPresent() && k.id.get().equals(peer)) {
          lost.add(k);
        }
      }
    }
    for (Kept k : lost) {
      retry(k, "disconnected (" + reason + ")");
    }
  }

  /** Stops redialling; open connections stay open. */
  @Override
  public void close() {
    synchronized (this) {
      closed = true;
      kept.values().forEach(k -> k.timer.cancel());
    }
    transport.removeListener(this);
  }
}
