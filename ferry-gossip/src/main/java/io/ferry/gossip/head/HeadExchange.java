package io.ferry.gossip.head;

import com.google.protobuf.InvalidProtocolBufferException;
import io.ferry.core.Bytes;
import io.ferry.core.FerryException;
import io.ferry.core.identity.NodeId;
import io.ferry.core.runtime.Scheduler;
import io.ferry.gossip.plane.GossipPlane;
import io.ferry.gossip.value.PayloadRule;
import io.ferry.gossip.value.SignedValue;
import io.ferry.gossip.value.ValueKind;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Signed heads over the {@link GossipPlane}: a producer publishes each head it signs as its {@link
 * ValueKind#SIGNED_HEAD} value, the plane spreads it to every node (push, then pull to repair), and
 * each node judges the heads it takes by its {@link HeadTrust}.
 *
 * <p>The plane checks each value's signature by its origin and the {@link #PAYLOAD_RULE} (a well
 * formed head whose producer is the origin) before storing or relaying it, so it relays every head
 * that is honestly signed, trusted here or not: trust decides what a node follows, not what it
 * passes on. Here, a head is ignored when the local store has already passed it (the {@code passed}
 * test: below its height, or at it with another root) or when it is no newer than the newest held,
 * so replaying old heads moves nothing back, after a restart too. A trusted head whose own
 * signature does not verify (its producer signed the value, not the head) is refused and counted as
 * forged; a head from a producer this node does not trust is counted and logged once per producer
 * (for the last {@link #MAX_REFUSALS_LOGGED}). A node trusting a root accepts one head naming that
 * root, whoever signed it.
 *
 * <p>All decisions run on the plane's {@link Scheduler}; {@code onNewer} is called there.
 * Thread-safe.
 */
public final class HeadExchange implements AutoCloseable {
  /** Producers whose refused heads are remembered as logged. */
  static final int MAX_REFUSALS_LOGGED = 256;

  /** What the plane checks of a {@link ValueKind#SIGNED_HEAD} value before it stores it. */
  public static final PayloadRule PAYLOAD_RULE =
      value -> {
        SignedHead head;
        try {
          head = decode(value);
        } catch (InvalidProtocolBufferException | FerryException e) {
          return Optional.of("a signed head that does not decode: " + e.getMessage());
        }
        return head.producer().equals(value.origin())
            ? Optional.empty()
            : Optional.of("a head of producer " + head.producer() + " published by another node");
      };

  private static final Logger log = LoggerFactory.getLogger(HeadExchange.class);

  /** Counts of heads judged since start. */
  public record Stats(long accepted, long foreign) {}

  private final GossipPlane plane;
  private final Scheduler scheduler;
  private final HeadTrust trust;
  private final Consumer<SignedHead> onNewer;
  private final Predicate<SignedHead> passed;
  private final AtomicLong accepted = new AtomicLong();
  private final AtomicLong foreign = new AtomicLong();
  // Written on the scheduler only; locked, since refusalsRemembered reads it from other threads.
  private final Set<NodeId> refusalsLogged =
      Collections.newSetFromMap(
          new LinkedHashMap<>() {
            @Override
            protected boolean removeEldestEntry(Map.Entry<NodeId, Boolean> eldest) {
              return size() > MAX_REFUSALS_LOGGED;
            }
          });
  private volatile SignedHead newest;
  private volatile boolean closed;

  private HeadExchange(
      GossipPlane plane,
      Scheduler scheduler,
      HeadTrust trust,
      Predicate<SignedHead> passed,
      Consumer<SignedHead> onNewer) {
    this.plane = plane;
    this.scheduler = scheduler;
    this.trust = trust;
    this.passed = passed;
    this.onNewer = onNewer;
  }

  /**
   * Starts judging the heads {@code plane} takes. The plane's rules must hold {@link #PAYLOAD_RULE}
   * for {@link ValueKind#SIGNED_HEAD}.
   *
   * @param scheduler the plane's scheduler
   * @param passed true for a head the local store has already passed, asked of each head: those are
   *     ignored, so a replayed old head never sends the store backwards
   * @param onNewer told of each newer trusted head, on the scheduler
   */
  public static HeadExchange start(
      GossipPlane plane,
      Scheduler scheduler,
      HeadTrust trust,
      Predicate<SignedHead> passed,
      Consumer<SignedHead> onNewer) {
    HeadExchange exchange = new HeadExchange(plane, scheduler, trust, passed, onNewer);
    if (trust.acceptsAny()) {
      plane.subscribe(ValueKind.SIGNED_HEAD, (value, from) -> exchange.consider(value));
    }
    return exchange;
  }

  /** The newest head accepted or published. */
  public Optional<SignedHead> newest() {
    return Optional.ofNullable(newest);
  }

  public HeadTrust trust() {
    return trust;
  }

  /**
   * Producers remembered as logged; at most {@link #MAX_REFUSALS_LOGGED}. Read under a lock, not on
   * the scheduler: a caller that drives a virtual-time scheduler would wait for itself forever.
   */
  int refusalsRemembered() {
    synchronized (refusalsLogged) {
      return refusalsLogged.size();
    }
  }

  public Stats stats() {
    return new Stats(accepted.get(), foreign.get());
  }

  /**
   * Makes {@code own} this node's newest head and publishes it: how a producer hands out the head
   * it just committed and signed. {@code onNewer} is not called. {@link #newest} says it as soon as
   * this returns; the plane publishes it on the scheduler's thread.
   */
  public void publish(SignedHead own) {
    synchronized (this) {
      SignedHead current = newest;
      if (closed || (current != null && own.height() <= current.height())) {
        return;
      }
      newest = own;
    }
    scheduler.execute(
        () -> {
          if (!closed) {
            plane.publish(ValueKind.SIGNED_HEAD, Bytes.wrap(own.toProto().toByteArray()));
          }
        });
  }

  private static SignedHead decode(SignedValue value) throws InvalidProtocolBufferException {
    return SignedHead.fromProto(
        io.ferry.wire.v1.SignedHead.parseFrom(value.payload().unsafeArray()));
  }

  private void consider(SignedValue value) {
    if (closed) {
      return;
    }
    SignedHead head;
    try {
      head = decode(value);
    } catch (InvalidProtocolBufferException | FerryException e) {
      return; // the plane's rule refuses these before they are stored
    }
    if (passed.test(head)) {
      return; // the store is past it already: an old head, perhaps replayed after a restart
    }
    SignedHead current = newest;
    if (current != null && head.height() <= current.height()) {
      if (head.height() == current.height()
          && !head.root().equals(current.root())
          && head.producer().equals(current.producer())
          && trust.trusts(head)) {
        log.warn(
            "producer {} signed two roots at height {}: kept {}, then saw {}",
            head.producer(),
            head.height(),
            current.root().toHex(),
            head.root().toHex());
      }
      return;
    }
    if (trust.trusts(head)) {
      if (current != null && trust.root().isPresent()) {
        return; // a trusted root is reached once; a stranger's later heights move nothing
      }
      accepted.incrementAndGet();
      newest = head;
      log.debug("accepted {}", head);
      onNewer.accept(head);
    } else {
      foreign.incrementAndGet();
      boolean first;
      synchronized (refusalsLogged) {
        first = refusalsLogged.add(head.producer());
      }
      if (first) {
        log.info("ignoring heads of {}: this node trusts {}", head.producer(), trust);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
  }
}
